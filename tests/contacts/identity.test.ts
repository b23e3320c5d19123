import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq, inArray } from "drizzle-orm";
import { db } from "@/db/client";
import { auditLogs, contactIdentities, contacts, conversations, events, instances, messages, salesLeads } from "@/db/schema";
import {
  applyIdentityChange,
  groupRefreshesSettled,
  identitiesOf,
  needsResolution,
  normalizeIdentity,
  resolveInboundParties,
} from "@/features/contacts/identity.service";
import type { Instance } from "@/db/schema";
import type { InboundEvent } from "@/providers/provider";
import { createLead } from "@/features/tools/tool.service";
import { wireFeatures } from "@/routes";
import { createOwner } from "../helpers/factories";

type MessageEvent = Extract<InboundEvent, { kind: "message" }>;

let organizationId: string;
let instance: Instance;
let other: Instance;
let seq = 0;

beforeAll(async () => {
  // Merges reach features above contacts (the AI's records) through ports the composition root plugs.
  wireFeatures();
  organizationId = (await createOwner()).organization.id;
  [instance] = (await db.insert(instances).values({ organizationId, name: "ids", provider: "wuzapi", status: "connected" }).returning()) as [Instance];
  const otherOrg = (await createOwner()).organization.id;
  [other] = (await db.insert(instances).values({ organizationId: otherOrg, name: "other", provider: "wuzapi", status: "connected" }).returning()) as [Instance];
});

// Group messages fetch the group's info in the background: let it finish before the database goes.
afterAll(() => groupRefreshesSettled());

const message = (extra: Partial<MessageEvent>): MessageEvent => ({
  kind: "message",
  providerMessageId: `ID-${++seq}`,
  from: "",
  type: "text",
  body: "oi",
  timestamp: new Date(),
  ...extra,
});

/** A conversation on `instance` with `n` inbound messages, as the inbox would hold it. */
async function history(contactId: string, n: number, unread = n) {
  const [conv] = await db
    .insert(conversations)
    .values({
      organizationId,
      instanceId: instance.id,
      contactId,
      unreadCount: unread,
      lastMessageAt: new Date(Date.now() - 1000 * (10 - n)),
      lastMessagePreview: `last of ${n}`,
    })
    .returning();
  for (let i = 0; i < n; i++) {
    await db.insert(messages).values({
      organizationId,
      instanceId: instance.id,
      conversationId: conv!.id,
      contactId,
      direction: "inbound",
      providerMessageId: `H-${++seq}`,
      type: "text",
      body: `m${i}`,
      status: "delivered",
    });
  }
  return conv!;
}

/**
 * resolveInboundParties, with the contact a phone-path answer ({phone} alone) will be filed under: the
 * contact holding that phone (the batch statement finds it the same way).
 */
async function resolve(inst: Instance, event: MessageEvent) {
  const parties = await resolveInboundParties(inst, event);
  if (!parties || parties.contactId || !parties.phone) return parties;
  const [holder] = await db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.organizationId, inst.organizationId!), eq(contacts.phone, parties.phone)));
  return { ...parties, contactId: holder?.id };
}

const contactRow = async (id: string) => (await db.select().from(contacts).where(eq(contacts.id, id)))[0];

describe("identity keys", () => {
  test("normalized: LID and group ids without server/device, usernames lower-case without @", () => {
    expect(normalizeIdentity("lid", "123456789012345@lid")).toBe("123456789012345");
    expect(normalizeIdentity("lid", "123456789012345:7@lid")).toBe("123456789012345");
    expect(normalizeIdentity("group", "120363025246125888@g.us")).toBe("120363025246125888");
    expect(normalizeIdentity("username", "@Maria.Silva")).toBe("maria.silva");
    expect(normalizeIdentity("lid", "not a lid")).toBeNull();
    expect(normalizeIdentity("bsuid", "  ")).toBeNull();
  });

  test("a private message from a phone alone needs no resolution (the one-statement path)", async () => {
    const plain = message({ from: "5511970000001@s.whatsapp.net", sender: { phone: "+5511970000001" } });
    expect(needsResolution(plain)).toBe(false);
    expect(await resolveInboundParties(instance, plain)).toEqual({ phone: "+5511970000001" });
    expect(await db.select().from(contacts).where(eq(contacts.phone, "+5511970000001"))).toHaveLength(0);
    expect(needsResolution(message({ from: "5511970000001", group: { id: "1203" } }))).toBe(true);
    expect(needsResolution(message({ from: "", sender: { lid: "1" } }))).toBe(true);
  });
});

describe("one person, one contact", () => {
  test("a LID alone creates a phoneless contact; the same LID finds it again", async () => {
    const first = await resolve(instance, message({ sender: { lid: "555000111@lid", name: "Lia" } }));
    expect(first?.contactId).toBeDefined();
    expect(first?.phone).toBeNull();
    const again = await resolve(instance, message({ sender: { lid: "555000111" } }));
    expect(again?.contactId).toBe(first!.contactId!);
    const row = await contactRow(first!.contactId!);
    expect(row).toMatchObject({ phone: null, name: "Lia", kind: "person" });
    expect(await identitiesOf(row!.id)).toEqual([{ kind: "lid", value: "555000111" }]);
    const created = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, organizationId), eq(events.type, "contact.created")));
    expect(created.filter((e) => (e.data as { contact: { id: string } }).contact.id === row!.id)).toHaveLength(1);
  });

  test("LID, username/BSUID and a phone with and without the ninth digit end as ONE contact with ONE history", async () => {
    // Three contacts, each with its own conversation on the same instance.
    const byPhone = await resolve(instance, message({ sender: { phone: "+5511988776655", lid: "900100200" } }));
    const byLid = await resolve(instance, message({ sender: { lid: "900100201" } }));
    const byUser = await resolve(instance, message({ sender: { bsuid: "BR.1234567890", username: "@Joana" } }));
    const ids = [byPhone!.contactId!, byLid!.contactId!, byUser!.contactId!];
    expect(new Set(ids).size).toBe(3);
    await history(ids[0]!, 2, 1);
    await history(ids[1]!, 1);
    await history(ids[2]!, 3);
    await db
      .update(contacts)
      .set({ tags: ["vip"] })
      .where(eq(contacts.id, ids[1]!));
    // What the AI recorded about the LID contact follows the person.
    const lead = await createLead({ organizationId, contactId: ids[1]!, conversationId: null, threadId: null }, { title: "Plano anual" });

    // WuzAPI reveals the second LID belongs to the phone (sent without the ninth digit).
    const revealed = await resolve(instance, message({ from: "551188776655@s.whatsapp.net", sender: { phone: "551188776655", lid: "900100201@lid" } }));
    expect(revealed?.contactId).toBe(ids[0]!);
    // Cloud shows wa_id with its user_id: the username contact is the same person too.
    const cloud = await resolve(instance, message({ sender: { phone: "5511988776655", bsuid: "BR.1234567890" } }));
    expect(cloud?.contactId).toBe(ids[0]!);

    expect(await db.select().from(contacts).where(inArray(contacts.id, ids))).toHaveLength(1);
    const kept = (await contactRow(ids[0]!))!;
    expect(kept.phone).toBe("+5511988776655");
    expect(kept.tags).toEqual(["vip"]);
    expect(await identitiesOf(kept.id)).toEqual([
      { kind: "bsuid", value: "BR.1234567890" },
      { kind: "lid", value: "900100200" },
      { kind: "lid", value: "900100201" },
      { kind: "username", value: "joana" },
    ]);
    const convs = await db.select().from(conversations).where(eq(conversations.instanceId, instance.id));
    const mine = convs.filter((c) => ids.includes(c.contactId));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.unreadCount).toBe(1 + 1 + 3);
    const msgs = await db.select().from(messages).where(eq(messages.conversationId, mine[0]!.id));
    expect(msgs).toHaveLength(6);
    expect(msgs.every((m) => m.contactId === kept.id)).toBe(true);
    const [movedLead] = await db.select().from(salesLeads).where(eq(salesLeads.id, lead.id));
    expect(movedLead?.contactId).toBe(kept.id);

    // Later traffic from any identity lands there.
    for (const sender of [{ lid: "900100201" }, { username: "joana" }, { phone: "+5511988776655", lid: "900100202" }]) {
      expect((await resolve(instance, message({ sender })))?.contactId).toBe(kept.id);
    }
    // A phone seen with the same LID before, found on the phone's own contact: the one-statement phone path.
    expect(await resolveInboundParties(instance, message({ sender: { phone: "+5511988776655", lid: "900100202" } }))).toEqual({ phone: "+5511988776655" });

    const merged = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, organizationId), eq(events.type, "contact.merged")));
    expect(merged.map((e) => (e.data as { mergedContactId: string }).mergedContactId).sort()).toEqual([ids[1]!, ids[2]!].sort());
    expect(merged.every((e) => (e.data as { contact: { id: string } }).contact.id === kept.id)).toBe(true);
    const audits = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organizationId), eq(auditLogs.action, "contact.merged")));
    expect(audits.map((a) => (a.details as { mergedContactId: string }).mergedContactId).sort()).toEqual([ids[1]!, ids[2]!].sort());
    expect(audits.every((a) => a.targetId === kept.id && a.actorType === "system")).toBe(true);
  });

  test("a username taken by someone with another business-scoped id moves to them, nobody is merged", async () => {
    const first = await resolve(instance, message({ sender: { bsuid: "BR.1", username: "loja" } }));
    const second = await resolve(instance, message({ sender: { bsuid: "BR.2", username: "loja" } }));
    expect(second!.contactId).not.toBe(first!.contactId!);
    expect(await contactRow(first!.contactId!)).toBeDefined();
    expect(await identitiesOf(first!.contactId!)).toEqual([{ kind: "bsuid", value: "BR.1" }]);
    expect(await identitiesOf(second!.contactId!)).toEqual([
      { kind: "bsuid", value: "BR.2" },
      { kind: "username", value: "loja" },
    ]);
  });

  test("identities are per organization: another one's LID is another contact", async () => {
    const mine = await resolve(instance, message({ sender: { lid: "777000777" } }));
    const theirs = await resolve(other, message({ sender: { lid: "777000777" } }));
    expect(theirs!.contactId).not.toBe(mine!.contactId!);
    expect((await contactRow(theirs!.contactId!))!.organizationId).toBe(other.organizationId!);
  });

  test("concurrent first messages of one new LID create one contact", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => resolve(instance, message({ sender: { lid: "31415926535" } }))));
    expect(new Set(results.map((r) => r!.contactId)).size).toBe(1);
    const held = await db
      .select()
      .from(contactIdentities)
      .where(and(eq(contactIdentities.kind, "lid"), eq(contactIdentities.value, "31415926535")));
    expect(held).toHaveLength(1);
  });
});

describe("groups", () => {
  test("a group message files under the group's contact, naming the participant; the subject follows renames", async () => {
    const parties = await resolve(
      instance,
      message({
        from: "5511955550000@s.whatsapp.net",
        sender: { phone: "5511955550000", lid: "42420000", name: "Rui" },
        group: { id: "120363000000000001@g.us", subject: "Equipe" },
      }),
    );
    expect(parties?.phone).toBeNull();
    const group = (await contactRow(parties!.contactId!))!;
    expect(group).toMatchObject({ kind: "group", name: "Equipe", phone: null });
    const person = (await contactRow(parties!.senderContactId!))!;
    expect(person).toMatchObject({ kind: "person", phone: "+5511955550000", name: "Rui" });

    const renamed = await resolve(instance, message({ sender: { lid: "42420000" }, group: { id: "120363000000000001", subject: "Equipe 2" } }));
    expect(renamed).toEqual({ phone: null, contactId: group.id, senderContactId: person.id });
    expect((await contactRow(group.id))!.name).toBe("Equipe 2");

    // The business's own message echoed in the group has no participant.
    const echo = await resolve(instance, message({ fromMe: true, sender: { phone: "5511900000001" }, group: { id: "120363000000000001" } }));
    expect(echo).toEqual({ phone: null, contactId: group.id });
  });
});

describe("number change", () => {
  test("the old number's contact keeps its history and takes the new number; a contact of the new number merges in", async () => {
    const old = await resolve(instance, message({ sender: { phone: "+5511966660001", bsuid: "BR.OLD" } }));
    const fresh = await resolve(instance, message({ sender: { lid: "66660002" } }));
    await history(old!.contactId!, 2);
    await history(fresh!.contactId!, 1);
    await db.update(contacts).set({ phone: "+5511966660002" }).where(eq(contacts.id, fresh!.contactId!));

    const moved = await applyIdentityChange(instance, { phone: "5511966660001" }, { phone: "5511966660002", bsuid: "BR.NEW" });
    expect(moved!.id).toBe(old!.contactId!);
    expect(moved!.phone).toBe("+5511966660002");
    expect(await contactRow(fresh!.contactId!)).toBeUndefined();
    const conv = await db.select().from(conversations).where(eq(conversations.contactId, moved!.id));
    expect(conv).toHaveLength(1);
    expect(await db.select().from(messages).where(eq(messages.conversationId, conv[0]!.id))).toHaveLength(3);
    expect((await identitiesOf(moved!.id)).map((i) => i.value)).toEqual(["BR.NEW", "BR.OLD", "66660002"]);
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.targetId, moved!.id), eq(auditLogs.action, "contact.identity_changed")));
    expect(audit).toHaveLength(1);
    // The new number now finds the same person.
    expect((await resolve(instance, message({ sender: { phone: "5511966660002", lid: "66660002" } })))?.contactId).toBe(moved!.id);
  });

  test("a number change for someone unknown creates the new identity's contact", async () => {
    const made = await applyIdentityChange(instance, { phone: "5511966660101" }, { phone: "5511966660102" });
    expect(made?.phone).toBe("+5511966660102");
  });
});

describe("through the inbound service", () => {
  test("a LID-only message is stored under its contact; a group message under the group with its participant", async () => {
    const { ingestInbound } = await import("@/features/inbound/inbound.service");
    const lidOnly = await ingestInbound(instance, message({ sender: { lid: "88112233@lid", name: "Nina" }, body: "oi pelo lid" }));
    expect(lidOnly).toMatchObject({ kind: "message", stored: true });
    if (lidOnly.kind !== "message") throw new Error("unexpected");
    expect(lidOnly.contact).toMatchObject({ phone: null, name: "Nina" });
    expect(await identitiesOf(lidOnly.contact!.id)).toEqual([{ kind: "lid", value: "88112233" }]);

    // The phone behind the LID shows up later (without the ninth digit): the same contact, one conversation.
    const revealed = await ingestInbound(instance, message({ from: "551177665544", sender: { phone: "551177665544", lid: "88112233" } }));
    if (revealed.kind !== "message") throw new Error("unexpected");
    expect(revealed.contact!.id).toBe(lidOnly.contact!.id);
    expect(revealed.conversation!.id).toBe(lidOnly.conversation!.id);
    // The same pair again skips resolution (cached) and still lands on that contact through its phone.
    const again = await ingestInbound(instance, message({ from: "551177665544", sender: { phone: "551177665544", lid: "88112233" } }));
    if (again.kind !== "message") throw new Error("unexpected");
    expect(again.contact!.id).toBe(lidOnly.contact!.id);
    const plain = await ingestInbound(instance, message({ from: "5511977665544@s.whatsapp.net" }));
    if (plain.kind !== "message") throw new Error("unexpected");
    expect(plain.contact!.id).toBe(lidOnly.contact!.id);
    expect(plain.conversation!.unreadCount).toBe(4);

    const inGroup = await ingestInbound(
      instance,
      message({
        from: "5511977665544",
        sender: { phone: "5511977665544", name: "Nina" },
        group: { id: "120363999@g.us", subject: "Clientes" },
        body: "no grupo",
      }),
    );
    if (inGroup.kind !== "message") throw new Error("unexpected");
    expect(inGroup.contact).toMatchObject({ kind: "group", name: "Clientes" });
    expect(inGroup.message).toMatchObject({ senderContactId: lidOnly.contact!.id, contactId: inGroup.contact!.id, direction: "inbound" });
    expect(inGroup.conversation!.contactId).toBe(inGroup.contact!.id);
    const [received] = await db
      .select()
      .from(events)
      .where(and(eq(events.type, "message.received"), eq(events.instanceId, instance.id)))
      .then((rows) => rows.filter((e) => (e.data as { message: { id: string } }).message.id === inGroup.message!.id));
    expect((received!.data as { message: { senderContactId: string } }).message.senderContactId).toBe(lidOnly.contact!.id);
  });

  test("a Cloud number change moves the contact", async () => {
    const { ingestInbound } = await import("@/features/inbound/inbound.service");
    const { wireFeatures } = await import("@/routes");
    wireFeatures();
    const first = await ingestInbound(instance, message({ from: "5511933330001" }));
    if (first.kind !== "message") throw new Error("unexpected");
    await ingestInbound(instance, {
      kind: "identity_change",
      from: { phone: "5511933330001" },
      to: { phone: "5511933330002", bsuid: "BR.NC" },
      timestamp: new Date(),
    });
    expect((await contactRow(first.contact!.id))!.phone).toBe("+5511933330002");
    const next = await ingestInbound(instance, message({ from: "5511933330002" }));
    if (next.kind !== "message") throw new Error("unexpected");
    expect(next.conversation!.id).toBe(first.conversation!.id);
  });
});

describe("contacts stored before phones were canonical", () => {
  test("a Brazilian mobile without its ninth digit takes it, or merges with the contact that has it", async () => {
    const [alone] = await db.insert(contacts).values({ organizationId, phone: "+552188881111", name: "Sem nono" }).returning();
    const [legacy] = await db
      .insert(contacts)
      .values({ organizationId, phone: "+552188882222", name: "Antigo", tags: ["old"] })
      .returning();
    const [modern] = await db
      .insert(contacts)
      .values({ organizationId, phone: "+5521988882222", tags: ["new"] })
      .returning();
    const [fixed] = await db.insert(contacts).values({ organizationId, phone: "+552133334444", name: "Fixo" }).returning();
    await history(legacy!.id, 2);
    await history(modern!.id, 1);

    const { canonicalizeStoredPhones } = await import("@/features/contacts/identity.service");
    expect(await canonicalizeStoredPhones(1)).toBe(2);
    expect((await contactRow(alone!.id))!.phone).toBe("+5521988881111");
    const kept = (await contactRow(legacy!.id))!;
    expect(kept).toMatchObject({ phone: "+5521988882222", name: "Antigo" });
    expect(kept.tags.sort()).toEqual(["new", "old"]);
    expect(await contactRow(modern!.id)).toBeUndefined();
    const convs = await db.select().from(conversations).where(eq(conversations.contactId, kept.id));
    expect(convs).toHaveLength(1);
    expect(await db.select().from(messages).where(eq(messages.conversationId, convs[0]!.id))).toHaveLength(3);
    // A fixed line never had a ninth digit; nothing is left to fix on a second pass.
    expect((await contactRow(fixed!.id))!.phone).toBe("+552133334444");
    expect(await canonicalizeStoredPhones()).toBe(0);
  });
});

describe("a LID outlives a number change", () => {
  test("the LID's contact shown with another phone takes that phone (audited); the new number then finds it", async () => {
    const first = await resolve(instance, message({ sender: { phone: "+5511955501111", lid: "5550001111" } }));
    const moved = await resolve(instance, message({ sender: { phone: "+5511955502222", lid: "5550001111" } }));
    expect(moved!.contactId).toBe(first!.contactId!);
    expect((await contactRow(first!.contactId!))!.phone).toBe("+5511955502222");
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.targetId, first!.contactId!), eq(auditLogs.action, "contact.identity_changed")));
    expect(audit[0]!.details).toMatchObject({ from: { phone: "+5511955501111" }, to: { phone: "+5511955502222" } });
    expect((await resolve(instance, message({ sender: { phone: "+5511955502222", lid: "5550009999" } })))!.contactId).toBe(first!.contactId!);
  });
});

describe("a resolved contact merged away before its message is filed", () => {
  test("is detected, so the message is resolved again instead of dropped", async () => {
    const { partiesVanished } = await import("@/features/contacts/identity.service");
    const { storeInboundMessage } = await import("@/features/inbound/message-store");
    const lidOnly = await resolveInboundParties(instance, message({ sender: { lid: "424242000" } }));
    expect(lidOnly?.contactId).toBeDefined();
    expect(await partiesVanished(lidOnly!)).toBe(false);
    // An older contact of the phone exists; the next payload shows the LID with that phone: merged into it.
    const [older] = await db
      .insert(contacts)
      .values({ organizationId, phone: "+5511942424242", createdAt: new Date(Date.now() - 86_400_000) })
      .returning();
    await resolveInboundParties(instance, message({ sender: { phone: "+5511942424242", lid: "424242000" } }));
    expect(await contactRow(lidOnly!.contactId!)).toBeUndefined();
    expect(await partiesVanished(lidOnly!)).toBe(true);
    // Filed under the vanished contact, the batch stores nothing: the inbound service resolves again.
    const event = message({ sender: { lid: "424242000" } });
    expect(await storeInboundMessage({ instance, phone: null, contactId: lidOnly!.contactId!, event })).toBeNull();
    const again = await resolveInboundParties(instance, event);
    expect(again).toEqual({ phone: "+5511942424242", contactId: older!.id });
    const stored = await storeInboundMessage({ instance, phone: again!.phone, contactId: again!.contactId!, event });
    expect(stored!.contact.id).toBe(older!.id);
  });
});

describe("a burst of one person's messages under every identity at once", () => {
  test("all are stored, under one contact, in one conversation", async () => {
    const { ingestInbound } = await import("@/features/inbound/inbound.service");
    const senders = [
      { lid: "777123000" },
      { phone: "551187871234" },
      { phone: "5511987871234", lid: "777123000" },
      { bsuid: "BR.7771230", phone: "5511987871234" },
      { bsuid: "BR.7771230", username: "burst" },
      { username: "burst" },
    ];
    const ids = Array.from({ length: 36 }, (_, i) => `BURST-${i}`);
    const results = await Promise.all(ids.map((id, i) => ingestInbound(instance, message({ providerMessageId: id, sender: senders[i % senders.length]! }))));
    expect(
      results
        .map((r, i) =>
          r.kind === "message" && r.stored ? "ok" : `${ids[i]}:${JSON.stringify(senders[i % senders.length])}:${r.kind === "message" ? r.duplicate : r.kind}`,
        )
        .filter((x) => x !== "ok"),
    ).toEqual([]);
    const rows = await db.select().from(messages).where(inArray(messages.providerMessageId, ids));
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((m) => m.contactId)).size).toBe(1);
    expect(new Set(rows.map((m) => m.conversationId)).size).toBe(1);
    const [person] = await db.select().from(contacts).where(eq(contacts.id, rows[0]!.contactId));
    expect(person!.phone).toBe("+5511987871234");
    const [conv] = await db.select().from(conversations).where(eq(conversations.id, rows[0]!.conversationId));
    expect(conv!.unreadCount).toBe(ids.length);
  });
});
