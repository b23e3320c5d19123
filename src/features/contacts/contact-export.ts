import { stringify } from "csv-stringify/sync";
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, type ContactFilter } from "@/db/schema";
import type { Caller } from "@/lib/caller";
import { auditChange } from "@/features/audit/audit.service";
import { organizationOf } from "@/lib/tenant";
import { formatDocument, formatZipCode } from "./contact-fields";
import { contactFilterSql } from "./contact-filter";
import { assertManagesContactBook, listFieldDefinitions } from "./contact-field.service";

const PAGE = 1000;

/** Column names the import maps back by themselves (guessMapping), so an export re-imports as it was. */
const BASE_COLUMNS = [
  "phone",
  "name",
  "document",
  "email",
  "address",
  "city",
  "state",
  "cep",
  "notes",
  "tags",
  "opted_out",
  "blocked",
  "last_interaction_at",
  "created_at",
];

/**
 * The organization's contacts matching `filter` as CSV (UTF-8 with BOM so spreadsheets read accents),
 * streamed a page of 1000 at a time by id: memory stays flat whatever the book's size. Custom fields
 * follow the base columns under their keys. Audited (an export takes personal data out).
 */
export async function exportContactsCsv(caller: Caller, filter: ContactFilter, label: string): Promise<ReadableStream<Uint8Array>> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  const definitions = await listFieldDefinitions(caller);
  await auditChange(db, orgId, caller, "contact_export.downloaded", { type: "contact_export", id: orgId }, { what: label });
  const where = and(eq(contacts.organizationId, orgId), isNull(contacts.deviceId), eq(contacts.kind, "person"), ...contactFilterSql(filter))!;
  const encoder = new TextEncoder();
  let after: string | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`\uFEFF${stringify([[...BASE_COLUMNS, ...definitions.map((d) => d.key)]])}`));
        return;
      }
      const rows = await db
        .select()
        .from(contacts)
        .where(after ? and(where, gt(contacts.id, after)) : where)
        .orderBy(asc(contacts.id))
        .limit(PAGE);
      if (rows.length === 0) {
        controller.close();
        return;
      }
      after = rows[rows.length - 1]!.id;
      const records = rows.map((c) => [
        c.phone ?? "",
        c.name ?? "",
        formatDocument(c.document),
        c.email ?? "",
        c.address ?? "",
        c.city ?? "",
        c.state ?? "",
        formatZipCode(c.zipCode),
        c.notes ?? "",
        c.tags.join(", "),
        c.optedOut ? "true" : "false",
        c.blocked ? "true" : "false",
        c.lastInteractionAt?.toISOString() ?? "",
        c.createdAt.toISOString(),
        ...definitions.map((d) => (c.customFields[d.key] === undefined ? "" : String(c.customFields[d.key]))),
      ]);
      controller.enqueue(encoder.encode(stringify(records)));
      if (rows.length < PAGE) controller.close();
    },
  });
}
