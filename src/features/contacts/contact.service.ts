import { and, eq, exists, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { contacts, conversations, instances } from "@/db/schema";
import { callProvider } from "@/features/instances/instance.service";
import { providerFor } from "@/providers";
import type { Instance } from "@/db/schema";
import { recordAudit, type AuditActor } from "@/features/audit/audit.service";
import { recordEvent } from "@/features/events/event.service";
import { AppError, conflict, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { parsePhone, toE164 } from "@/lib/phone";
import { callerTenant, instanceOfTenant, tenantFilter, type Tenant } from "@/lib/tenant";
import { keysetPage } from "@/lib/pager";
import type { Caller } from "@/lib/caller";
import { isUuid } from "@/lib/ids";
import { applyCustomFields, formatDocument, type CustomValue } from "./contact-fields";
import { contactFilterSql } from "./contact-filter";
import { listFieldDefinitions } from "./contact-field.service";
import { parseTagFilter, type ContactCreateInput, type ContactListQuery, type ContactUpdateInput } from "./contact.schema";

export type Contact = typeof contacts.$inferSelect;

/** Who acts: an admin user, an API key, or LivChat itself (an AI workflow's tool); `request` feeds the audit row's ip and user agent. */

/** The public JSON shape of a contact (no internal device ownership column). */
export function contactJson(c: Contact) {
  return {
    id: c.id,
    kind: c.kind,
    phone: c.phone,
    name: c.name,
    pictureUrl: c.pictureUrl,
    tags: c.tags,
    blocked: c.blocked,
    whatsappBlocked: c.whatsappBlocked,
    profileFetchedAt: c.profileFetchedAt,
    optedOut: c.optedOut,
    metadata: c.metadata,
    document: c.document,
    documentType: c.documentType,
    documentFormatted: c.document ? formatDocument(c.document) : null,
    email: c.email,
    address: c.address,
    city: c.city,
    state: c.state,
    zipCode: c.zipCode,
    notes: c.notes,
    customFields: c.customFields,
    lastInteractionAt: c.lastInteractionAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/**
 * The tenant's contacts; for a key bound to one instance (`boundInstanceId`) only those with a
 * conversation on that instance — the others do not exist for it (404), as other instances do not.
 */
function scope(tenant: Tenant, boundInstanceId?: string | null): SQL {
  const owned = tenantFilter(tenant, contacts.organizationId, contacts.deviceId);
  if (!boundInstanceId) return owned;
  const onInstance = db
    .select({ one: sql`1` })
    .from(conversations)
    .where(and(eq(conversations.contactId, contacts.id), eq(conversations.instanceId, boundInstanceId)));
  return and(owned, exists(onInstance))!;
}

/** `%`/`_`/`\` are LIKE wildcards; search text is matched literally. */
function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Contacts of the tenant, newest first, keyset-paginated. `q` matches the name (case-insensitive) or,
 * when it contains digits, the phone; `tag` keeps contacts carrying every listed tag.
 */
export async function listContacts(caller: Caller, query: ContactListQuery, tx: DbOrTx = db) {
  const where: SQL[] = [scope(callerTenant(caller), caller.boundInstanceId)];
  const q = query.q?.trim();
  if (q) {
    const digits = q.replace(/\D/g, "");
    const byName = sql`${contacts.name} ilike ${`%${likeEscape(q)}%`}`;
    where.push(digits.length >= 3 ? sql`(${byName} or ${contacts.phone} like ${`%${digits}%`})` : byName);
  }
  const tags = parseTagFilter(query.tag);
  if (tags.length)
    where.push(
      sql`${contacts.tags} @> ${sql`array[${sql.join(
        tags.map((t) => sql`${t}`),
        sql`, `,
      )}]::text[]`}`,
    );
  if (query.blocked) where.push(eq(contacts.blocked, query.blocked === "true"));
  if (query.document) where.push(eq(contacts.document, query.document));
  const custom = Object.fromEntries((query.custom ?? []).map((pair) => [pair.slice(0, pair.indexOf(":")), pair.slice(pair.indexOf(":") + 1)]));
  where.push(...contactFilterSql({ city: query.city || undefined, state: query.state ?? undefined, custom, excludeOptedOut: false }));
  return keysetPage(
    { sortBy: contacts.createdAt, id: contacts.id },
    query,
    (q) =>
      tx
        .select({ contact: contacts, sortKey: q.sortKey })
        .from(contacts)
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.contact,
    (r) => r.contact.id,
  );
}

/** The caller's contact, or 404 (also for another tenant's id, a malformed id, or one outside a bound key's instance). */
export async function getContact(caller: Caller, id: string, tx: DbOrTx = db): Promise<Contact> {
  if (!isUuid(id)) throw new AppError("not_found", tText("contacts:errors.notFound"));
  const [row] = await tx
    .select()
    .from(contacts)
    .where(and(scope(callerTenant(caller), caller.boundInstanceId), eq(contacts.id, id)))
    .limit(1);
  if (!row) throw new AppError("not_found", tText("contacts:errors.notFound"));
  return row;
}

/** Creates a contact (409 when the phone is already a contact of the tenant) and emits `contact.created`. */
export async function createContact(caller: Caller, input: ContactCreateInput): Promise<Contact> {
  const tenant = callerTenant(caller);
  return db.transaction(async (tx) => {
    const customFields = input.customFields ? await validCustomFields(caller, {}, input.customFields, tx) : {};
    if (input.document) await assertDocumentFree(tenant, input.document, null, tx);
    const [row] = await tx
      .insert(contacts)
      .values({
        organizationId: tenant.organizationId,
        deviceId: tenant.organizationId ? null : tenant.deviceId,
        phone: input.phone,
        name: input.name ?? null,
        tags: input.tags ?? [],
        blocked: input.blocked ?? false,
        optedOut: input.optedOut ?? false,
        metadata: input.metadata ?? {},
        ...detailPatch(input),
        customFields,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict(tText("contacts:errors.exists", { phone: input.phone }));
    await recordEvent(
      {
        organizationId: tenant.organizationId,
        apiKeyId: caller.type === "api_key" ? caller.id : null,
        deviceId: tenant.organizationId ? null : tenant.deviceId,
        type: "contact.created",
        data: { contact: { id: row.id, phone: row.phone, name: row.name } },
      },
      tx,
    );
    await audit(tenant, caller, "contact.created", row.id, { phone: row.phone }, tx);
    return row;
  });
}

/** Changes name, tags, block list and opt-out flags or metadata; the phone is immutable. A key bound to one instance reaches its contacts only. */
export async function updateContact(caller: Caller, id: string, input: ContactUpdateInput): Promise<Contact> {
  const tenant = callerTenant(caller);
  return db.transaction(async (tx) => {
    const before = await getContact(caller, id, tx);
    const patch: Partial<typeof contacts.$inferInsert> = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.tags !== undefined) patch.tags = input.tags;
    if (input.blocked !== undefined) patch.blocked = input.blocked;
    if (input.optedOut !== undefined) patch.optedOut = input.optedOut;
    if (input.metadata !== undefined) patch.metadata = input.metadata;
    Object.assign(patch, detailPatch(input));
    if (input.customFields !== undefined) patch.customFields = await validCustomFields(caller, before.customFields, input.customFields, tx);
    if (input.document) await assertDocumentFree(tenant, input.document, before.id, tx);
    if (Object.keys(patch).length === 0) return before;
    const [row] = await tx
      .update(contacts)
      .set(patch)
      .where(and(scope(tenant), eq(contacts.id, before.id)))
      .returning();
    // Blocking is worth its own audit verb: it changes whether the contact reaches anyone.
    const action =
      input.blocked !== undefined && input.blocked !== before.blocked ? (input.blocked ? "contact.blocked" : "contact.unblocked") : "contact.updated";
    await audit(tenant, caller, action, before.id, { fields: Object.keys(patch) }, tx);
    return row!;
  });
}

/** The campaign fields present in a create/update input (undefined = unchanged, null = cleared). */
function detailPatch(input: ContactUpdateInput): Partial<typeof contacts.$inferInsert> {
  const patch: Partial<typeof contacts.$inferInsert> = {};
  if (input.document !== undefined) {
    patch.document = input.document;
    patch.documentType = input.document === null ? null : input.document.length === 11 ? "cpf" : "cnpj";
  }
  for (const key of ["email", "address", "city", "state", "zipCode", "notes"] as const) if (input[key] !== undefined) patch[key] = input[key];
  return patch;
}

/** Custom field values checked against the organization's definitions (422 on `customFields.<key>`). */
async function validCustomFields(
  caller: Caller,
  current: Record<string, CustomValue>,
  input: Record<string, CustomValue | null>,
  tx: DbOrTx,
): Promise<Record<string, CustomValue>> {
  const { values, errors } = applyCustomFields(await listFieldDefinitions(caller, tx), current, input);
  if (errors.length) throw validationFailed(errors);
  return values;
}

/** One contact per document in an organization: a second one is a 409 on `document`, said in words. */
async function assertDocumentFree(tenant: Tenant, document: string, exceptId: string | null, tx: DbOrTx): Promise<void> {
  if (!tenant.organizationId) return;
  const [other] = await tx
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.organizationId, tenant.organizationId), eq(contacts.document, document)))
    .limit(1);
  if (other && other.id !== exceptId)
    throw new AppError("conflict", tText("contacts:errors.documentExists", { document: formatDocument(document) }), [
      { path: "document", message: tText("contacts:errors.documentExists", { document: formatDocument(document) }) },
    ]);
}

/** Deletes the contact with its conversations and messages (cascade). */
export async function deleteContact(caller: Caller, id: string): Promise<void> {
  const tenant = callerTenant(caller);
  await db.transaction(async (tx) => {
    const contact = await getContact(caller, id, tx);
    await tx.delete(contacts).where(and(scope(tenant), eq(contacts.id, contact.id)));
    await audit(tenant, caller, "contact.deleted", contact.id, { phone: contact.phone }, tx);
  });
}

/** The distinct tags in use (for the admin tag filter), most used first. */
export async function listTags(caller: Caller, limit = 50, tx: DbOrTx = db): Promise<string[]> {
  const result = await tx.execute(
    sql`select tag, count(*) as n from ${contacts}, unnest(${contacts.tags}) as tag where ${scope(callerTenant(caller), caller.boundInstanceId)} group by tag order by n desc, tag limit ${limit}`,
  );
  return rowsOf<{ tag: string }>(result).map((r) => r.tag);
}

/** The caller's contacts with these E.164 phones, keyed by phone (a bound key's: those it can read). */
export async function findContactsByPhone(caller: Caller, phones: string[], tx: DbOrTx = db): Promise<Map<string, Contact>> {
  if (phones.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(contacts)
    .where(and(scope(callerTenant(caller), caller.boundInstanceId), inArray(contacts.phone, phones)));
  return new Map(rows.flatMap((c) => (c.phone ? [[c.phone, c] as const] : [])));
}

export type CheckedPhone = { phone: string; input: string; valid: boolean; exists: boolean; contactId: string | null };

/**
 * Validates each phone and says whether it `exists`. With `askWhatsApp` (a connected instance's
 * provider lookup) `exists` means "has WhatsApp"; without one it means "is already a contact".
 */
export async function checkPhones(
  caller: Caller,
  inputs: string[],
  askWhatsApp?: (phones: string[]) => Promise<Map<string, boolean>>,
): Promise<CheckedPhone[]> {
  const normalized = inputs.map((input) => ({ input, phone: parsePhone(input) }));
  const valid = [...new Set(normalized.flatMap((n) => (n.phone ? [n.phone] : [])))];
  const known = await findContactsByPhone(caller, valid);
  const onWhatsApp = askWhatsApp && valid.length ? await askWhatsApp(valid) : null;
  return normalized.map(({ input, phone }) => ({
    phone: phone ?? input,
    input,
    valid: !!phone,
    exists: !!phone && (onWhatsApp ? onWhatsApp.get(phone) === true : known.has(phone)),
    contactId: phone ? (known.get(phone)?.id ?? null) : null,
  }));
}

async function audit(tenant: Tenant, actor: Caller, action: string, contactId: string, details: Record<string, unknown>, tx: DbOrTx) {
  // Unclaimed (try-before-sign-up) tenants have no organization to hold an audit trail.
  if (!tenant.organizationId) return;
  const auditActor: AuditActor = { type: actor.type, id: actor.id };
  await recordAudit(
    { organizationId: tenant.organizationId, actor: auditActor, action, target: { type: "contact", id: contactId }, request: actor.request, details },
    tx,
  );
}

/**
 * `POST /v1/contacts/check`: picks the instance that asks WhatsApp — the requested one (404 if not
 * the tenant's), else the key's bound instance, else the tenant's only connected instance — and
 * falls back to "is a known contact" when none is connected.
 */
export async function checkPhonesForKey(
  caller: Caller,
  phones: string[],
  opts: { instanceId?: string },
): Promise<{ data: CheckedPhone[]; source: "whatsapp" | "contacts"; instanceId: string | null }> {
  const instance = await pickCheckInstance(callerTenant(caller), { instanceId: opts.instanceId, boundInstanceId: caller.boundInstanceId });
  // A bound key learns of known contacts only among those it can read (checkPhones reads as the caller).
  if (!instance) return { data: await checkPhones(caller, phones), source: "contacts", instanceId: null };
  const provider = providerFor(instance);
  const data = await checkPhones(caller, phones, async (valid) => {
    const answers = await callProvider(tText("contacts:errors.checkingNumbers"), () => provider.checkNumbers(instance, valid));
    return new Map(
      answers.flatMap((a) => {
        const phone = toE164(a.phone);
        return phone ? [[phone, a.exists] as const] : [];
      }),
    );
  });
  return { data, source: "whatsapp", instanceId: instance.id };
}

async function pickCheckInstance(tenant: Tenant, opts: { instanceId?: string; boundInstanceId?: string | null }): Promise<Instance | null> {
  const owned = tenantFilter(tenant, instances.organizationId, instances.createdByDeviceId);
  const wanted = opts.instanceId ?? opts.boundInstanceId ?? null;
  if (wanted) {
    // A key bound to one instance may not ask through another.
    const row = await instanceOfTenant({ tenant, instanceId: opts.boundInstanceId }, wanted);
    // Asked for explicitly: say it cannot answer rather than silently answering something else.
    if (opts.instanceId && row.status !== "connected") throw conflict(tText("contacts:errors.instanceNotConnected"));
    return row.status === "connected" ? row : null;
  }
  const connected = await db
    .select()
    .from(instances)
    .where(and(owned, eq(instances.status, "connected")))
    .limit(2);
  return connected.length === 1 ? connected[0]! : null;
}

/** Sign-up claims a visitor device's contacts for the new organization (inside the claim's transaction). */
export async function claimDeviceContacts(deviceId: string, organizationId: string, tx: DbOrTx): Promise<void> {
  await tx
    .update(contacts)
    .set({ organizationId, deviceId: null })
    .where(and(eq(contacts.deviceId, deviceId), isNull(contacts.organizationId)));
}

/** A visitor device's contacts whose phone the organization already has, with the organization's contact id. */
export async function deviceContactDuplicates(deviceId: string, organizationId: string, tx: DbOrTx): Promise<{ visitorId: string; targetId: string }[]> {
  const visitorContacts = await tx
    .select({ id: contacts.id, phone: contacts.phone })
    .from(contacts)
    .where(and(eq(contacts.deviceId, deviceId), isNull(contacts.organizationId)));
  if (visitorContacts.length === 0) return [];
  const existing = await tx
    .select({ id: contacts.id, phone: contacts.phone })
    .from(contacts)
    .where(
      and(
        eq(contacts.organizationId, organizationId),
        inArray(
          contacts.phone,
          visitorContacts.flatMap((c) => (c.phone ? [c.phone] : [])),
        ),
      ),
    );
  const byPhone = new Map(existing.map((c) => [c.phone, c.id]));
  return visitorContacts.flatMap((v) => (byPhone.has(v.phone) ? [{ visitorId: v.id, targetId: byPhone.get(v.phone)! }] : []));
}

/** Drops a visitor contact once everything it had points at the organization's contact. */
export async function deleteMergedContact(contactId: string, tx: DbOrTx): Promise<void> {
  await tx.delete(contacts).where(eq(contacts.id, contactId));
}
