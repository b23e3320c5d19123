import { and, asc, eq, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { contactFieldDefinitions, contacts } from "@/db/schema";
import { roleAtLeast } from "@/auth/roles";
import { auditChange } from "@/features/audit/audit.service";
import { AppError, conflict, forbidden, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";
import type { Caller } from "@/lib/caller";
import { FIELD_DEFINITION_LIMITS, type FieldDefinitionCreateInput } from "./contact-field.schema";

export type FieldDefinition = typeof contactFieldDefinitions.$inferSelect;

/**
 * Supervisors and above shape the contact book (custom fields, imports, exports, segments); agents
 * fill values in. A `/v1` key's scope was checked by its route.
 */
export function assertManagesContactBook(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && roleAtLeast(caller.role, "supervisor"))) throw forbidden(tText("contacts:errors.bookForbidden"));
}

export function fieldDefinitionJson(d: FieldDefinition) {
  return { id: d.id, key: d.key, label: d.label, type: d.type, createdAt: d.createdAt, updatedAt: d.updatedAt };
}

/** The organization's custom fields, in key order. */
export async function listFieldDefinitions(caller: Caller, tx: DbOrTx = db): Promise<FieldDefinition[]> {
  if (!caller.organizationId) return [];
  return tx
    .select()
    .from(contactFieldDefinitions)
    .where(eq(contactFieldDefinitions.organizationId, caller.organizationId))
    .orderBy(asc(contactFieldDefinitions.key));
}

async function getFieldDefinition(caller: Caller, id: string, tx: DbOrTx): Promise<FieldDefinition> {
  const orgId = organizationOf(caller);
  if (!isUuid(id)) throw new AppError("not_found", tText("contacts:errors.fieldNotFound"));
  const [row] = await tx
    .select()
    .from(contactFieldDefinitions)
    .where(and(eq(contactFieldDefinitions.organizationId, orgId), eq(contactFieldDefinitions.id, id)))
    .limit(1);
  if (!row) throw new AppError("not_found", tText("contacts:errors.fieldNotFound"));
  return row;
}

export async function createFieldDefinition(caller: Caller, input: FieldDefinitionCreateInput): Promise<FieldDefinition> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [{ n }] = (await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(contactFieldDefinitions)
      .where(eq(contactFieldDefinitions.organizationId, orgId))) as [{ n: number }];
    if (n >= FIELD_DEFINITION_LIMITS.perOrganization)
      throw validationFailed([{ path: "key", message: tText("contacts:schema.fieldsMax", { count: FIELD_DEFINITION_LIMITS.perOrganization }) }]);
    const [row] = await tx
      .insert(contactFieldDefinitions)
      .values({ organizationId: orgId, key: input.key, label: input.label, type: input.type })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict(tText("contacts:errors.fieldExists", { key: input.key }));
    await auditChange(tx, orgId, caller, "contact_field.created", { type: "contact_field", id: row.id }, { key: row.key, type: row.type });
    return row;
  });
}

export async function updateFieldDefinition(caller: Caller, id: string, input: { label: string }): Promise<FieldDefinition> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const before = await getFieldDefinition(caller, id, tx);
    const [row] = await tx.update(contactFieldDefinitions).set({ label: input.label }).where(eq(contactFieldDefinitions.id, before.id)).returning();
    await auditChange(tx, orgId, caller, "contact_field.updated", { type: "contact_field", id: before.id }, { key: before.key });
    return row!;
  });
}

/** Deletes the definition and the values stored under its key on every contact of the organization. */
export async function deleteFieldDefinition(caller: Caller, id: string): Promise<void> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const def = await getFieldDefinition(caller, id, tx);
    await tx.delete(contactFieldDefinitions).where(eq(contactFieldDefinitions.id, def.id));
    await tx
      .update(contacts)
      .set({ customFields: sql`${contacts.customFields} - ${def.key}::text` })
      .where(and(eq(contacts.organizationId, orgId), sql`${contacts.customFields} ? ${def.key}::text`));
    await auditChange(tx, orgId, caller, "contact_field.deleted", { type: "contact_field", id: def.id }, { key: def.key });
  });
}
