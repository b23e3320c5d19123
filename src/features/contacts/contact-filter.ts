import { and, eq, isNull, lt, gte, sql, type SQL } from "drizzle-orm";
import { contacts, type ContactFilter } from "@/db/schema";

export type { ContactFilter };

/**
 * The one translation of a contact filter into SQL, used by the contact list, saved segments
 * (campaign audiences) and the CSV export, so a segment's count, its preview and what a campaign
 * reaches are the same contacts. Callers add the tenant condition.
 */
export function contactFilterSql(filter: ContactFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.tags?.length)
    where.push(
      sql`${contacts.tags} @> ${sql`array[${sql.join(
        filter.tags.map((t) => sql`${t}`),
        sql`, `,
      )}]::text[]`}`,
    );
  // City compares case- and accent-insensitively enough for typed data: trimmed, lower-case.
  if (filter.city) where.push(sql`lower(${contacts.city}) = lower(${filter.city.trim()})`);
  if (filter.state) where.push(eq(contacts.state, filter.state.toUpperCase()));
  // The jsonb value as text: numbers, dates (ISO) and booleans compare by their canonical text.
  for (const [key, value] of Object.entries(filter.custom ?? {})) where.push(sql`${contacts.customFields} ->> ${key} = ${value}`);
  if (filter.lastInteractionAfter) where.push(gte(contacts.lastInteractionAt, new Date(filter.lastInteractionAfter)));
  if (filter.lastInteractionBefore) where.push(lt(contacts.lastInteractionAt, new Date(filter.lastInteractionBefore)));
  if (filter.excludeOptedOut !== false) where.push(eq(contacts.optedOut, false), eq(contacts.blocked, false));
  return where;
}

/** Campaign audiences are people with a phone in the organization (no groups, no identity-only contacts). */
export function reachableSql(organizationId: string): SQL {
  return and(eq(contacts.organizationId, organizationId), eq(contacts.kind, "person"), sql`${contacts.phone} is not null`, isNull(contacts.deviceId))!;
}
