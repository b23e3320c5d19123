import { beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, contacts, conversations, events, instances, messages } from "@/db/schema";
import { identitiesOf } from "@/features/contacts/identity.service";
import { encryptCloudConfig } from "@/providers/cloud";
import type { Instance } from "@/db/schema";
import { createOwner } from "../helpers/factories";

/**
 * End to end through the signed Cloud API webhook, with payloads shaped after Meta's messages webhook
 * reference for the usernames rollout: a user with a username writes with `from_user_id` only (phone
 * withheld), later with `from` + `contacts[].user_id`, and a `system` notice announces a number change.
 */
const APP_SECRET = "cloud-app-secret-identities";
const PHONE_NUMBER_ID = "106540352242922";
const app = createApp();
let instance: Instance;
let organizationId: string;
let ts = 1_764_000_000;

beforeAll(async () => {
  organizationId = (await createOwner()).organization.id;
  const providerConfig = encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: "token", appSecret: APP_SECRET, verifyToken: "verify" });
  [instance] = (await db.insert(instances).values({ organizationId, name: "Cloud", provider: "cloud", status: "connected", providerConfig }).returning()) as [
    Instance,
  ];
});

async function deliver(value: Record<string, unknown>) {
  const payload = {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: PHONE_NUMBER_ID }, ...value },
          },
        ],
      },
    ],
  };
  const raw = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", APP_SECRET).update(raw).digest("hex")}`;
  const res = await app.handle(
    new Request(`http://localhost/hooks/cloud/${instance.id}`, {
      method: "POST",
      body: raw,
      headers: { "content-type": "application/json", "x-hub-signature-256": signature },
    }),
  );
  expect(res.status).toBe(200);
}

const text = (id: string, extra: Record<string, unknown>, body: string) => ({ id, timestamp: String(++ts), type: "text", text: { body }, ...extra });
const rowsOf = (ids: string[]) =>
  db
    .select()
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), inArray(messages.providerMessageId, ids)));

describe("one person over the Cloud API's identities", () => {
  test("username (business-scoped id only), then wa_id with user_id, then the phone without the ninth digit: one contact", async () => {
    await deliver({
      contacts: [{ profile: { name: "Joana", username: "@joana.silva" }, user_id: "BR.1502576394655843" }],
      messages: [text("wamid.U1", { from_user_id: "BR.1502576394655843" }, "oi, sou a Joana")],
    });
    const [first] = await rowsOf(["wamid.U1"]);
    const [joana] = await db.select().from(contacts).where(eq(contacts.id, first!.contactId));
    expect(joana).toMatchObject({ phone: null, name: "Joana" });

    // An unrelated earlier contact of the same phone (written before the username was known).
    await deliver({ contacts: [{ profile: { name: "J." }, wa_id: "5511977770000" }], messages: [text("wamid.P0", { from: "5511977770000" }, "antes")] });
    const [phoneOnly] = await rowsOf(["wamid.P0"]);
    expect(phoneOnly!.contactId).not.toBe(joana!.id);

    // The phone and the business-scoped id together: the two are one person.
    await deliver({
      contacts: [{ profile: { name: "Joana" }, wa_id: "5511977770000", user_id: "BR.1502576394655843" }],
      messages: [text("wamid.U2", { from: "5511977770000", from_user_id: "BR.1502576394655843" }, "agora com telefone")],
    });
    await deliver({
      contacts: [{ profile: { name: "Joana" }, wa_id: "551177770000" }],
      messages: [text("wamid.U3", { from: "551177770000" }, "sem o nono dígito")],
    });

    const rows = await rowsOf(["wamid.U1", "wamid.P0", "wamid.U2", "wamid.U3"]);
    expect(new Set(rows.map((m) => m.contactId)).size).toBe(1);
    expect(new Set(rows.map((m) => m.conversationId)).size).toBe(1);
    const [person] = await db.select().from(contacts).where(eq(contacts.id, rows[0]!.contactId));
    expect(person).toMatchObject({ phone: "+5511977770000", name: "Joana" });
    expect(await identitiesOf(person!.id)).toEqual([
      { kind: "bsuid", value: "BR.1502576394655843" },
      { kind: "username", value: "joana.silva" },
    ]);
    const merged = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "contact.merged")));
    expect(merged).toHaveLength(1);
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organizationId), eq(auditLogs.action, "contact.merged")));
    expect(audit).toHaveLength(1);
  });

  test("a number change notice moves the person to the new number, history and all", async () => {
    await deliver({
      contacts: [{ profile: { name: "Joana" }, wa_id: "5511977770000" }],
      messages: [
        text(
          "wamid.SYS",
          {
            from: "5511977770000",
            type: "system",
            system: { body: "User A changed from 5511977770000 to 5511966660000", new_wa_id: "5511966660000", type: "user_changed_number" },
          },
          "",
        ),
      ],
    });
    await deliver({
      contacts: [{ profile: { name: "Joana" }, wa_id: "5511966660000" }],
      messages: [text("wamid.N1", { from: "5511966660000" }, "meu número novo")],
    });
    const rows = await rowsOf(["wamid.U1", "wamid.N1"]);
    expect(new Set(rows.map((m) => m.conversationId)).size).toBe(1);
    const [person] = await db.select().from(contacts).where(eq(contacts.id, rows[0]!.contactId));
    expect(person!.phone).toBe("+5511966660000");
    const [conv] = await db.select().from(conversations).where(eq(conversations.id, rows[0]!.conversationId));
    expect(conv!.contactId).toBe(person!.id);
  });
});
