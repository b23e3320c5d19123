import { and, asc, eq, gt, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { db, rowsOf, type DbOrTx, type Tx } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { contactIdentities, contacts, type IDENTITY_KINDS, type Instance } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { conversationsToFold, foldConversation, moveContactConversations, readContact } from "@/features/conversations/conversation.service";
import { recordEvents, type NewEvent } from "@/features/events/event.service";
import { moveContactMessages, moveConversationMessages } from "@/features/messages/message.service";
import { moveContactFirings } from "@/features/triggers/trigger.service";
import { moveContactThreads, moveConversationThreads } from "@/features/workflows/thread.service";
import { auditActor, type AuditActor, type Caller } from "@/lib/caller";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { callerTenant, tenantFilter } from "@/lib/tenant";
import { port } from "@/lib/port";
import { getContact } from "./contact.service";
import { log } from "@/lib/logger";
import { parsePhone, toE164 } from "@/lib/phone";
import { providerFor } from "@/providers";
import type { InboundEvent, InboundSender } from "@/providers/provider";

/*
 * IDENTITIES. A contact is one person (or one group) with every WhatsApp identity it is known by: its
 * phone (contacts.phone, canonical E.164) and, in contact_identities, a LID, a Cloud business-scoped
 * user id (BSUID), a username, or a group id. Inbound traffic that shows several identities of one
 * person (WuzAPI sender + alt, Cloud wa_id + user_id, a number change) finds every contact holding any
 * of them and merges them into the oldest, with their conversations and messages, in one transaction.
 *
 * Groups are contacts of kind `group` (identity `group`): a group conversation is then an ordinary
 * conversation (inbox, replies, assignment) whose inbound messages name their participant in
 * messages.sender_contact_id. The alternative, a separate groups table, would have needed a second
 * kind of conversation party everywhere a conversation reads its contact.
 *
 * Usernames can be given up and taken by someone else, so a username alone never merges two people
 * who already have different business-scoped ids: the username moves to the newer holder instead.
 */

export type Contact = typeof contacts.$inferSelect;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];
type Key = { kind: IdentityKind; value: string };

/** Contacts belong to the organization, or to the visitor device while the instance is unclaimed. */
export type Owner = { organizationId: string | null; deviceId: string | null };
export const ownerOfInstance = (instance: Pick<Instance, "organizationId" | "createdByDeviceId">): Owner => ({
  organizationId: instance.organizationId,
  deviceId: instance.organizationId ? null : instance.createdByDeviceId,
});

const VALUE_MAX = 128;

/** The stored form of an identity: LID and group ids without server or device part, usernames lower-case without "@". */
export function normalizeIdentity(kind: IdentityKind, raw: string | undefined | null): string | null {
  if (!raw) return null;
  let value = raw.trim();
  if (kind === "lid" || kind === "group") value = value.split("@")[0]!.split(":")[0]!;
  if (kind === "username") value = value.replace(/^@/, "").toLowerCase();
  if (!value || value.length > VALUE_MAX) return null;
  // A LID is digits; a group id is digits-dash on WhatsApp Web (WuzAPI) but an opaque token on the Cloud API.
  if (kind === "lid" && !/^\d+$/.test(value)) return null;
  if (kind === "group" && !/^[\w.=+/-]+$/.test(value)) return null;
  return value;
}

function keysOf(sender: InboundSender): Key[] {
  const keys: Key[] = [];
  for (const kind of ["lid", "bsuid", "username"] as const) {
    const value = normalizeIdentity(kind, sender[kind]);
    if (value) keys.push({ kind, value });
  }
  return keys;
}

function ownerFilter(table: typeof contacts | typeof contactIdentities, owner: Owner): SQL {
  return owner.organizationId ? eq(table.organizationId, owner.organizationId) : and(isNull(table.organizationId), eq(table.deviceId, owner.deviceId!))!;
}

/**
 * Serializes identity resolution per owner: two webhooks revealing the same new LID at once must not
 * both create a contact for it. Only this module takes it, always first (before any row lock of
 * src/db/lock-order.ts), and only on the paths that are not a plain phone sender.
 */
async function lockOwner(tx: Tx, owner: Owner): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`livchat:identities:${owner.organizationId ?? `visitor-${owner.deviceId}`}`}, 0))`);
}

/** Contacts holding the phone or any of the identities, locked in (owner, phone) order; with their identity keys. */
async function holders(tx: Tx, owner: Owner, phone: string | null, keys: Key[]): Promise<{ contact: Contact; keys: Key[] }[]> {
  const byIdentity = keys.length
    ? tx
        .select({ id: contactIdentities.contactId })
        .from(contactIdentities)
        .where(
          and(ownerFilter(contactIdentities, owner), or(...keys.map((k) => and(eq(contactIdentities.kind, k.kind), eq(contactIdentities.value, k.value))))),
        )
    : null;
  const match = [phone ? eq(contacts.phone, phone) : null, byIdentity ? inArray(contacts.id, byIdentity) : null].filter((m): m is SQL => m !== null);
  if (match.length === 0) return [];
  const rows = await tx
    .select()
    .from(contacts)
    .where(and(ownerFilter(contacts, owner), or(...match)))
    .orderBy(asc(contacts.phone), asc(contacts.id))
    .for("no key update");
  if (rows.length === 0) return [];
  const ids = await tx
    .select({ contactId: contactIdentities.contactId, kind: contactIdentities.kind, value: contactIdentities.value })
    .from(contactIdentities)
    .where(
      inArray(
        contactIdentities.contactId,
        rows.map((r) => r.id),
      ),
    );
  return rows.map((contact) => ({ contact, keys: ids.filter((i) => i.contactId === contact.id).map(({ kind, value }) => ({ kind, value })) }));
}

const oldestFirst = (a: Contact, b: Contact) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);

async function addIdentities(tx: Tx, owner: Owner, contactId: string, keys: Key[]): Promise<void> {
  if (keys.length === 0) return;
  await tx
    .insert(contactIdentities)
    .values(keys.map((k) => ({ organizationId: owner.organizationId, deviceId: owner.deviceId, contactId, kind: k.kind, value: k.value })))
    .onConflictDoNothing();
}

async function createContact(
  tx: Tx,
  owner: Owner,
  fields: { phone: string | null; name: string | null; kind: Contact["kind"] },
): Promise<{ contact: Contact; created: boolean }> {
  if (fields.phone) {
    // The inbound batch statement upserts phone contacts without this module's lock: upsert too.
    const target = owner.organizationId ? sql`(organization_id, phone)` : sql`(device_id, phone) where organization_id is null`;
    const [row] = rowsOf<Record<string, unknown> & { created: boolean }>(
      await tx.execute(sql`
        insert into contacts (organization_id, device_id, phone, name, kind)
        values (${owner.organizationId}::uuid, ${owner.deviceId}::uuid, ${fields.phone}, ${fields.name}, ${fields.kind})
        on conflict ${target} do update set name = coalesce(contacts.name, excluded.name)
        returning *, (xmax = 0) as created`),
    );
    return { contact: readContact(row!), created: row!.created };
  }
  const [row] = await tx
    .insert(contacts)
    .values({ organizationId: owner.organizationId, deviceId: owner.deviceId, phone: null, name: fields.name, kind: fields.kind })
    .returning();
  return { contact: row!, created: true };
}

function createdEvent(owner: Owner, instanceId: string | null, c: Contact): NewEvent {
  return {
    organizationId: owner.organizationId,
    instanceId,
    deviceId: owner.organizationId ? null : owner.deviceId,
    type: "contact.created",
    data: { contact: { id: c.id, phone: c.phone, name: c.name, kind: c.kind } },
  };
}

export type MergeReason = "identities" | "number_change" | "manual";
type MergeContext = { owner: Owner; instanceId: string | null; reason: MergeReason; actor: AuditActor; request?: Request; events: NewEvent[] };

/**
 * Moves what the AI recorded about a contact (sales leads, complaints, payment promises, follow-up
 * tasks) to another contact inside `tx`. Those tables belong to the tools feature, which sits above
 * contacts (its tools update contacts), so src/routes.ts plugs the implementation in.
 */
export const moveContactAiRecords = port<(fromContactId: string, toContactId: string, tx: DbOrTx) => Promise<void>>(
  "contacts: move a merged contact's AI records",
);

/**
 * Merges `loser` into `keep` inside `tx` (both locked by the caller): conversations on an instance both
 * have fold into one, the rest move; messages, threads, trigger firings and identities follow; tags
 * are united (leads, complaints, payment promises and follow-ups the AI recorded move too), the kept contact's fields win and the other's fill its gaps (a block or opt-out on either
 * stays). Audited and evented (`contact.merged`); returns the kept contact as updated.
 */
async function mergeInto(tx: Tx, keep: Contact, loser: Contact, ctx: MergeContext): Promise<Contact> {
  for (const pair of await conversationsToFold(loser.id, keep.id, tx)) {
    await moveConversationMessages(pair.from, pair.to, keep.id, tx);
    await moveConversationThreads(pair.from, pair.to, tx);
    await foldConversation(pair.from, pair.to, tx);
  }
  await moveContactConversations(loser.id, keep.id, tx);
  await moveContactMessages(loser.id, keep.id, tx);
  await moveContactThreads(loser.id, keep.id, tx);
  await moveContactFirings(loser.id, keep.id, tx);
  await moveContactAiRecords(loser.id, keep.id, tx);
  // An identity both hold (impossible by the unique index, but cheap to be sure of) stays with `keep`.
  await tx.update(contactIdentities).set({ contactId: keep.id }).where(eq(contactIdentities.contactId, loser.id));
  await tx.delete(contacts).where(eq(contacts.id, loser.id));
  const later = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b));
  const [merged] = await tx
    .update(contacts)
    .set({
      phone: keep.phone ?? loser.phone,
      name: keep.name ?? loser.name,
      pictureUrl: keep.pictureUrl ?? loser.pictureUrl,
      tags: [...new Set([...keep.tags, ...loser.tags])],
      metadata: { ...loser.metadata, ...keep.metadata },
      blocked: keep.blocked || loser.blocked,
      optedOut: keep.optedOut || loser.optedOut,
      lastInteractionAt: later(keep.lastInteractionAt, loser.lastInteractionAt),
      updatedAt: new Date(),
    })
    .where(eq(contacts.id, keep.id))
    .returning();
  const details = { mergedContactId: loser.id, mergedPhone: loser.phone, mergedName: loser.name, reason: ctx.reason };
  ctx.events.push({
    organizationId: ctx.owner.organizationId,
    instanceId: ctx.instanceId,
    deviceId: ctx.owner.organizationId ? null : ctx.owner.deviceId,
    type: "contact.merged",
    data: { contact: { id: merged!.id, phone: merged!.phone, name: merged!.name }, mergedContactId: loser.id, reason: ctx.reason },
  });
  if (ctx.owner.organizationId) {
    await recordAudit(
      {
        organizationId: ctx.owner.organizationId,
        actor: ctx.actor,
        action: "contact.merged",
        target: { type: "contact", id: keep.id },
        request: ctx.request,
        details,
      },
      tx,
    );
  }
  return merged!;
}

/** Merges every contact of `found` into the oldest; returns it. */
async function mergeAll(tx: Tx, found: Contact[], ctx: MergeContext): Promise<Contact> {
  const [keep, ...rest] = [...found].sort(oldestFirst);
  let kept = keep!;
  for (const loser of rest) kept = await mergeInto(tx, kept, loser, ctx);
  return kept;
}

/**
 * Finds or creates the one contact of a person from every identity a payload shows, merging the
 * contacts that turn out to be that person. Null when the sender carries no usable identity.
 */
export async function resolvePerson(
  tx: Tx,
  owner: Owner,
  sender: InboundSender,
  ctx: Omit<MergeContext, "owner" | "events"> & { events: NewEvent[] },
): Promise<Contact | null> {
  const phone = sender.phone ? toE164(sender.phone) : null;
  const keys = keysOf(sender);
  if (!phone && keys.length === 0) return null;
  const full: MergeContext = { ...ctx, owner };
  const found = await holders(tx, owner, phone, keys);

  // A username held by a person with another business-scoped id changed hands: it moves, it does not merge.
  const bsuid = keys.find((k) => k.kind === "bsuid")?.value;
  const strong = found.filter(({ contact, keys: theirs }) => {
    if (phone && contact.phone === phone) return true;
    if (keys.some((k) => k.kind !== "username" && theirs.some((t) => t.kind === k.kind && t.value === k.value))) return true;
    const otherBsuid = theirs.some((t) => t.kind === "bsuid" && t.value !== bsuid);
    return !(bsuid && otherBsuid);
  });
  const released = found.filter((f) => !strong.includes(f));
  if (released.length) {
    await tx.delete(contactIdentities).where(
      and(
        inArray(
          contactIdentities.contactId,
          released.map((r) => r.contact.id),
        ),
        eq(contactIdentities.kind, "username"),
        inArray(
          contactIdentities.value,
          keys.filter((k) => k.kind === "username").map((k) => k.value),
        ),
      ),
    );
  }

  const name = sender.name?.trim() || null;
  let contact: Contact;
  if (strong.length === 0) {
    const made = await createContact(tx, owner, { phone, name, kind: "person" });
    contact = made.contact;
    if (made.created) full.events.push(createdEvent(owner, ctx.instanceId, contact));
  } else {
    contact = await mergeAll(
      tx,
      strong.map((s) => s.contact),
      full,
    );
    const patch: Partial<Contact> = {};
    // The payload ties this phone to the person's LID/BSUID now: a LID survives a number change, so a
    // phone other than the stored one is the person's new number (any contact of it was merged above).
    if (phone && contact.phone !== phone) patch.phone = phone;
    if (!contact.name && name) patch.name = name;
    if (Object.keys(patch).length) {
      const before = contact.phone;
      [contact] = (await tx
        .update(contacts)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(contacts.id, contact.id))
        .returning()) as [Contact];
      if (before && patch.phone && owner.organizationId) {
        await recordAudit(
          {
            organizationId: owner.organizationId,
            actor: ctx.actor,
            action: "contact.identity_changed",
            target: { type: "contact", id: contact.id },
            details: { from: { phone: before }, to: { phone: patch.phone }, shownWith: keys },
          },
          tx,
        );
      }
    }
  }
  await addIdentities(tx, owner, contact.id, keys);
  return contact;
}

/** Finds or creates a group's contact; a new subject renames it. */
export async function resolveGroup(
  tx: Tx,
  owner: Owner,
  group: { id: string; subject?: string },
  ctx: { instanceId: string | null; events: NewEvent[] },
): Promise<Contact | null> {
  const value = normalizeIdentity("group", group.id);
  if (!value) return null;
  const subject = group.subject?.trim() || null;
  const [known] = await tx
    .select({ contact: contacts })
    .from(contactIdentities)
    .innerJoin(contacts, eq(contacts.id, contactIdentities.contactId))
    .where(and(ownerFilter(contactIdentities, owner), eq(contactIdentities.kind, "group"), eq(contactIdentities.value, value)))
    .for("no key update", { of: contacts });
  if (known) {
    if (!subject || subject === known.contact.name) return known.contact;
    const [renamed] = await tx.update(contacts).set({ name: subject, updatedAt: new Date() }).where(eq(contacts.id, known.contact.id)).returning();
    return renamed!;
  }
  const { contact } = await createContact(tx, owner, { phone: null, name: subject, kind: "group" });
  await addIdentities(tx, owner, contact.id, [{ kind: "group", value }]);
  ctx.events.push(createdEvent(owner, ctx.instanceId, contact));
  return contact;
}

/** Stores the picture a provider showed for a group (the Groups API reads it); unchanged pictures are not written. */
export async function noteGroupPicture(tx: Tx, contact: Contact, pictureUrl: string | null): Promise<void> {
  if (pictureUrl === contact.pictureUrl) return;
  await tx.update(contacts).set({ pictureUrl, updatedAt: new Date() }).where(eq(contacts.id, contact.id));
}

/** How long a group's subject and picture are trusted before the provider is asked again. */
export const GROUP_INFO_TTL_MS = 24 * 60 * 60 * 1000;
/** After a failed fetch, the next message of the group tries again this much later. */
const GROUP_INFO_RETRY_MS = 60 * 60 * 1000;
const refreshing = new Set<Promise<void>>();

/**
 * Keeps a group's subject and picture current: when the provider offers `groupInfo` and the contact's
 * copy is older than a day (or was never fetched), one caller claims the refresh (the claim is the
 * profile_fetched_at update itself, so a burst of group messages asks the provider once) and stores
 * what the provider says. Runs after the webhook was answered; a failure is logged and retried an
 * hour later.
 */
export function refreshGroupInfo(instance: Instance, contactId: string, groupId: string): Promise<void> {
  const run = (async () => {
    const provider = providerFor(instance);
    if (!provider.groupInfo) return;
    const now = Date.now();
    const [claimed] = await db
      .update(contacts)
      .set({ profileFetchedAt: new Date(now) })
      .where(
        and(
          eq(contacts.id, contactId),
          or(isNull(contacts.profileFetchedAt), sql`${contacts.profileFetchedAt} < ${new Date(now - GROUP_INFO_TTL_MS).toISOString()}::timestamptz`),
        ),
      )
      .returning({ id: contacts.id });
    if (!claimed) return;
    try {
      const info = await provider.groupInfo(instance, groupId);
      const patch: Partial<Contact> = {};
      if (info.subject?.trim()) patch.name = info.subject.trim();
      if (info.pictureUrl !== undefined) patch.pictureUrl = info.pictureUrl;
      if (Object.keys(patch).length)
        await db
          .update(contacts)
          .set({ ...patch, updatedAt: new Date() })
          .where(eq(contacts.id, contactId));
    } catch (err) {
      log.warn("group info not fetched", { instanceId: instance.id, groupId, err });
      await db
        .update(contacts)
        .set({ profileFetchedAt: new Date(now - GROUP_INFO_TTL_MS + GROUP_INFO_RETRY_MS) })
        .where(eq(contacts.id, contactId));
    }
  })().catch((err) => log.warn("group info refresh failed", { instanceId: instance.id, groupId, err }));
  refreshing.add(run);
  void run.finally(() => refreshing.delete(run));
  return run;
}

/** Resolves when no group info refresh is running (tests, shutdown). */
export async function groupRefreshesSettled(): Promise<void> {
  while (refreshing.size > 0) await Promise.allSettled([...refreshing]);
}

type MessageEvent = Extract<InboundEvent, { kind: "message" }>;

/** Where an inbound message is filed: `phone` alone for the one-statement path, else the contact(s) resolved here. */
export type InboundParties = { phone: string | null; contactId?: string; senderContactId?: string };

/**
 * Whether the contact a message was resolved to no longer exists (merged into another by a concurrent
 * payload between resolution and the batch statement, which then filed nothing): the caller resolves again.
 */
export async function partiesVanished(parties: InboundParties): Promise<boolean> {
  if (!parties.contactId) return false;
  const [row] = await db.select({ id: contacts.id }).from(contacts).where(eq(contacts.id, parties.contactId)).limit(1);
  return !row;
}

/** Whether a sender needs this module (anything but a lone phone in a private chat). */
export function needsResolution(event: MessageEvent): boolean {
  const s = event.sender;
  return !!(event.group || s?.lid || s?.bsuid || s?.username);
}

const SYSTEM: AuditActor = { type: "system" };

/**
 * Private senders whose identities were all found on the contact that holds their phone, so the next
 * message showing the same identities can take the one-statement phone path (WuzAPI sends a LID
 * beside the phone on nearly every message). Per process, for PAIRED_TTL_MS; a stale entry (the
 * contact deleted meanwhile) can only split one person for a while: the first message resolved after
 * expiry merges them again.
 */
const paired = new Map<string, number>();
export const PAIRED_TTL_MS = 10 * 60 * 1000;
const PAIRED_MAX = 10_000;
const pairKey = (owner: Owner, phone: string, sender: InboundSender) =>
  [owner.organizationId ?? `visitor-${owner.deviceId}`, phone, ...keysOf(sender).map((k) => `${k.kind}:${k.value}`)].join("|");

/**
 * The parties of an inbound message. A private message from a phone alone (the common case) costs
 * nothing here: the batch statement finds its contact by phone. A sender with a LID, business-scoped
 * id or username, and every group message, are resolved (and merged) in one small transaction first.
 * Returns null when the message has no usable sender.
 */
export async function resolveInboundParties(instance: Instance, event: MessageEvent): Promise<InboundParties | null> {
  const phone = toE164(event.sender?.phone ?? event.from ?? "");
  if (!needsResolution(event)) return phone ? { phone } : null;
  const owner = ownerOfInstance(instance);
  const sender: InboundSender = { ...event.sender, phone: phone ?? undefined, name: event.sender?.name ?? event.fromName };
  const pair = !event.group && phone ? pairKey(owner, phone, sender) : null;
  if (pair && (paired.get(pair) ?? 0) > Date.now()) return { phone };
  const parties = await withDeadlockRetry("identity resolution", () =>
    db.transaction(async (tx) => {
      await lockOwner(tx, owner);
      const events: NewEvent[] = [];
      const ctx = { instanceId: instance.id, reason: "identities" as const, actor: SYSTEM, events };
      let result: InboundParties | null;
      if (event.group) {
        const group = await resolveGroup(tx, owner, event.group, ctx);
        // The business's own message in a group has no participant to name.
        const person = event.fromMe ? null : await resolvePerson(tx, owner, sender, ctx);
        result = group ? { phone: null, contactId: group.id, ...(person ? { senderContactId: person.id } : {}) } : null;
      } else {
        const person = await resolvePerson(tx, owner, sender, ctx);
        // A person holding the sender's phone is filed by that phone: the batch statement finds whichever
        // contact holds it when it runs, even if a concurrent merge has replaced this one meanwhile.
        result = person ? (phone && person.phone === phone ? { phone } : { phone: person.phone, contactId: person.id }) : null;
      }
      // Their last interaction moves here: the batch statement only reads contacts it is handed.
      const touched = [result?.contactId, result?.senderContactId].filter((id): id is string => !!id);
      if (touched.length) {
        await tx
          .update(contacts)
          .set({ lastInteractionAt: sql`greatest(${contacts.lastInteractionAt}, now())`, updatedAt: new Date() })
          .where(inArray(contacts.id, touched));
      }
      await recordEvents(events, tx);
      return result;
    }),
  );
  if (pair && parties?.phone === phone) {
    if (paired.size >= PAIRED_MAX) paired.delete(paired.keys().next().value!);
    paired.set(pair, Date.now() + PAIRED_TTL_MS);
  }
  // Not awaited: the provider is asked after the webhook was answered.
  if (event.group && parties?.contactId) void refreshGroupInfo(instance, parties.contactId, normalizeIdentity("group", event.group.id)!);
  return parties;
}

/**
 * A number change (Cloud `system` message `user_changed_number`): the person known by `from` is now
 * `to`. The contact of `from` keeps its history and takes the new identities (its phone becomes the
 * new one); a contact already holding `to` is merged into it. Audited as `contact.identity_changed`.
 */
export async function applyIdentityChange(instance: Instance, from: InboundSender, to: InboundSender): Promise<Contact | null> {
  const owner = ownerOfInstance(instance);
  const oldPhone = from.phone ? toE164(from.phone) : null;
  const newPhone = to.phone ? toE164(to.phone) : null;
  return withDeadlockRetry("identity change", () =>
    db.transaction(async (tx) => {
      await lockOwner(tx, owner);
      const events: NewEvent[] = [];
      const ctx: MergeContext = { owner, instanceId: instance.id, reason: "number_change", actor: SYSTEM, events };
      const before = await holders(tx, owner, oldPhone, keysOf(from));
      const after = await holders(tx, owner, newPhone, keysOf(to));
      const all = [...new Map([...before, ...after].map((h) => [h.contact.id, h.contact])).values()];
      let contact: Contact | null;
      if (before.length === 0) {
        contact = await resolvePerson(tx, owner, to, { instanceId: instance.id, reason: "number_change", actor: SYSTEM, events });
      } else {
        // The old identity's contact is the one with the history: it is kept, whatever is older.
        const keep = before.map((b) => b.contact).sort(oldestFirst)[0]!;
        contact = keep;
        for (const other of all.filter((c) => c.id !== keep.id).sort(oldestFirst)) contact = await mergeInto(tx, contact, other, ctx);
        if (newPhone && contact.phone !== newPhone) {
          [contact] = (await tx.update(contacts).set({ phone: newPhone, updatedAt: new Date() }).where(eq(contacts.id, contact.id)).returning()) as [Contact];
        }
        await addIdentities(tx, owner, contact.id, keysOf(to));
        if (owner.organizationId) {
          await recordAudit(
            {
              organizationId: owner.organizationId,
              actor: SYSTEM,
              action: "contact.identity_changed",
              target: { type: "contact", id: contact.id },
              details: { from: { phone: oldPhone, ...from }, to: { phone: newPhone, ...to } },
            },
            tx,
          );
        }
      }
      await recordEvents(events, tx);
      return contact;
    }),
  );
}

/**
 * Merges `otherId` into `keepId` at a person's request (both the tenant's, else 404; a contact with
 * itself, or a group with a person, is a 422): conversations, messages, identities and tags follow, as
 * when inbound traffic reveals two contacts to be one person. Audited as the caller, evented.
 */
export async function mergeContacts(caller: Caller, keepId: string, otherId: string): Promise<Contact> {
  if (keepId === otherId) throw validationFailed([{ path: "contactId", message: tText("contacts:errors.mergeSelf") }]);
  const tenant = callerTenant(caller);
  // Both must be readable by the caller first (another tenant's id, or outside a bound key's instance: 404).
  const keepFirst = await getContact(caller, keepId);
  const otherFirst = await getContact(caller, otherId);
  if (keepFirst.kind !== otherFirst.kind) throw validationFailed([{ path: "contactId", message: tText("contacts:errors.mergeKinds") }]);
  const owner: Owner = { organizationId: tenant.organizationId, deviceId: tenant.organizationId ? null : (tenant.deviceId ?? null) };
  return withDeadlockRetry("contact merge", () =>
    db.transaction(async (tx) => {
      await lockOwner(tx, owner);
      const rows = await tx
        .select()
        .from(contacts)
        .where(and(ownerFilter(contacts, owner), inArray(contacts.id, [keepId, otherId])))
        .orderBy(asc(contacts.phone))
        .for("no key update");
      const keep = rows.find((c) => c.id === keepId);
      const other = rows.find((c) => c.id === otherId);
      // Merged or deleted by someone else meanwhile.
      if (!keep || !other) throw new AppError("not_found", tText("contacts:errors.notFound"));
      const events: NewEvent[] = [];
      const merged = await mergeInto(tx, keep, other, {
        owner,
        instanceId: null,
        reason: "manual",
        actor: auditActor(caller),
        request: caller.request,
        events,
      });
      await recordEvents(events, tx);
      return merged;
    }),
  );
}

/** The admin's merge form: the other contact named by its phone (typed as people type it), merged into `keepId`. */
export async function mergeContactByPhone(caller: Caller, keepId: string, typedPhone: string): Promise<Contact> {
  const phone = parsePhone(typedPhone);
  if (!phone) throw validationFailed([{ path: "phone", message: tText("contacts:schema.phoneInvalid") }]);
  const [other] = await db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(tenantFilter(callerTenant(caller), contacts.organizationId, contacts.deviceId), eq(contacts.phone, phone)))
    .limit(1);
  if (!other) throw validationFailed([{ path: "phone", message: tText("contacts:errors.mergeNotFound", { phone }) }]);
  return mergeContacts(caller, keepId, other.id);
}

/** A Brazilian mobile stored before phones were canonical: without its ninth digit. */
const LEGACY_BR_MOBILE = "^\\+55[1-9]{2}[6-9][0-9]{7}$";

/**
 * Contacts stored before libphonenumber and the ninth-digit rule (lib/phone) may hold a Brazilian
 * mobile without its ninth digit, and the same person may have a second contact with it: each such
 * contact takes the canonical phone, or is merged (audited, evented) with the contact that has it.
 * Runs in the background at start; a pass over a database with nothing left to fix is one scan.
 * Returns how many contacts it fixed.
 */
export async function canonicalizeStoredPhones(batch = 100): Promise<number> {
  let fixed = 0;
  // Keyset by id: each row is visited once, so one it cannot fix never stalls the pass.
  let after: string | null = null;
  for (;;) {
    const rows = await db
      .select({ id: contacts.id, organizationId: contacts.organizationId, deviceId: contacts.deviceId, phone: contacts.phone })
      .from(contacts)
      .where(and(sql`${contacts.phone} ~ ${LEGACY_BR_MOBILE}`, after ? gt(contacts.id, after) : undefined))
      .orderBy(asc(contacts.id))
      .limit(batch);
    if (rows.length === 0) return fixed;
    for (const row of rows) {
      if (await withDeadlockRetry("canonical phone", () => db.transaction((tx) => canonicalizeOne(tx, row)))) fixed++;
    }
    after = rows.at(-1)!.id;
  }
}

/** Whether the contact took the canonical phone (merged or not). */
async function canonicalizeOne(tx: Tx, row: { id: string; organizationId: string | null; deviceId: string | null; phone: string | null }): Promise<boolean> {
  const owner: Owner = { organizationId: row.organizationId, deviceId: row.organizationId ? null : row.deviceId };
  const canonical = row.phone ? toE164(row.phone) : null;
  if (!row.phone || !canonical || canonical === row.phone) return false;
  await lockOwner(tx, owner);
  // Both phones' contacts, locked in (owner, phone) order.
  const both = await tx
    .select()
    .from(contacts)
    .where(and(ownerFilter(contacts, owner), inArray(contacts.phone, [row.phone, canonical])))
    .orderBy(asc(contacts.phone))
    .for("no key update");
  const legacy = both.find((c) => c.id === row.id);
  if (!legacy) return false;
  const events: NewEvent[] = [];
  let kept = legacy;
  const other = both.find((c) => c.phone === canonical);
  if (other) {
    const [keep, loser] = [legacy, other].sort(oldestFirst) as [Contact, Contact];
    kept = await mergeInto(tx, keep, loser, { owner, instanceId: null, reason: "identities", actor: SYSTEM, events });
  }
  await tx.update(contacts).set({ phone: canonical, updatedAt: new Date() }).where(eq(contacts.id, kept.id));
  await recordEvents(events, tx);
  return true;
}

/** Every identity of a contact besides its phone (the contact page, the API). */
export async function identitiesOf(contactId: string, tx: DbOrTx = db): Promise<Key[]> {
  return tx
    .select({ kind: contactIdentities.kind, value: contactIdentities.value })
    .from(contactIdentities)
    .where(eq(contactIdentities.contactId, contactId))
    .orderBy(contactIdentities.kind, contactIdentities.value);
}

/** Sign-up claims a visitor device's identities with its contacts (inside the claim's transaction). */
export async function claimDeviceIdentities(deviceId: string, organizationId: string, tx: DbOrTx): Promise<void> {
  await tx
    .update(contactIdentities)
    .set({ organizationId, deviceId: null })
    .where(and(eq(contactIdentities.deviceId, deviceId), isNull(contactIdentities.organizationId)));
}
