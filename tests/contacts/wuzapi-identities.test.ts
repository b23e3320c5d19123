import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, conversations, instances, messages } from "@/db/schema";
import { groupRefreshesSettled, identitiesOf } from "@/features/contacts/identity.service";
import { encryptSecret } from "@/lib/crypto";
import type { Instance } from "@/db/schema";
import { createOwner } from "../helpers/factories";

/**
 * End to end through the signed WuzAPI webhook: payloads shaped as wuzapi's event handler sends
 * whatsmeow's events (`Info.Chat`, `Sender`, `SenderAlt` with LID addressing, `IsGroup`, `IsFromMe`),
 * and a WuzAPI server answering `GET /group/info` for the group's subject.
 */
const HMAC_KEY = "hmac-key-for-identities-hmac-key-000";
const USER_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const TOKEN = "wuzapi-user-token-identities";
const LID = "204123456789012";
const GROUP = "120363777000000001";

const wuzapi = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname === "/group/info") {
      return Response.json({ code: 200, data: { JID: `${GROUP}@g.us`, Name: "Família", Topic: "", Participants: [] }, success: true });
    }
    return Response.json({ code: 500, error: "No avatar found", success: false }, { status: 500 });
  },
});

const app = createApp();
let instance: Instance;
let organizationId: string;

beforeAll(async () => {
  config.wuzapi = { url: `http://127.0.0.1:${wuzapi.port}`, adminToken: "admin", hmacKey: HMAC_KEY };
  organizationId = (await createOwner()).organization.id;
  [instance] = (await db
    .insert(instances)
    .values({ organizationId, name: "WuzAPI", provider: "wuzapi", status: "connected", providerInstanceId: USER_ID, providerTokenEnc: encryptSecret(TOKEN) })
    .returning()) as [Instance];
});

afterAll(async () => {
  await groupRefreshesSettled();
  wuzapi.stop(true);
});

type Info = { Chat: string; Sender: string; SenderAlt?: string; IsFromMe?: boolean; IsGroup?: boolean; PushName?: string };
async function deliver(id: string, info: Info, text: string) {
  const payload = {
    type: "Message",
    event: {
      Info: { IsFromMe: false, IsGroup: false, Type: "text", Timestamp: "2026-12-01T12:00:00-03:00", ID: id, ...info },
      Message: { conversation: text },
      IsEphemeral: false,
    },
    userID: USER_ID,
    instanceName: "livchat",
  };
  const raw = JSON.stringify(payload);
  const signature = createHmac("sha256", HMAC_KEY).update(raw).digest("hex");
  const res = await app.handle(
    new Request("http://localhost/hooks/wuzapi", { method: "POST", body: raw, headers: { "content-type": "application/json", "x-hmac-signature": signature } }),
  );
  expect(res.status).toBe(200);
  return res.json();
}

const stored = async (ids: string[]) =>
  db
    .select()
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), inArray(messages.providerMessageId, ids)));

describe("one person over WuzAPI's identities", () => {
  test("a LID, the phone without the ninth digit, then both together: one contact, one conversation", async () => {
    await deliver("A1", { Chat: `${LID}@lid`, Sender: `${LID}@lid`, PushName: "Marina" }, "oi pelo LID");
    await deliver("A2", { Chat: "551188776600@s.whatsapp.net", Sender: "551188776600@s.whatsapp.net", PushName: "Marina" }, "oi pelo telefone");
    const before = await stored(["A1", "A2"]);
    expect(new Set(before.map((m) => m.contactId)).size).toBe(2);

    // LID addressing shows the phone beside the LID: the two contacts are one person.
    await deliver("A3", { Chat: `${LID}@lid`, Sender: `${LID}@lid`, SenderAlt: "5511988776600@s.whatsapp.net", PushName: "Marina" }, "sou eu");
    const rows = await stored(["A1", "A2", "A3"]);
    expect(new Set(rows.map((m) => m.contactId)).size).toBe(1);
    expect(new Set(rows.map((m) => m.conversationId)).size).toBe(1);
    const [person] = await db.select().from(contacts).where(eq(contacts.id, rows[0]!.contactId));
    expect(person).toMatchObject({ phone: "+5511988776600", name: "Marina", kind: "person" });
    expect(await identitiesOf(person!.id)).toEqual([{ kind: "lid", value: LID }]);
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, rows[0]!.conversationId));
    expect(conversation!.unreadCount).toBe(3);

    // The business's own message from the phone app, echoed: outbound, in the same conversation.
    await deliver("A5", { Chat: "5511988776600@s.whatsapp.net", Sender: "5511900000001@s.whatsapp.net", IsFromMe: true }, "respondi pelo celular");
    const [echo] = await stored(["A5"]);
    expect(echo).toMatchObject({ direction: "outbound", contactId: person!.id, conversationId: conversation!.id, sentBy: "phone" });
  });

  test("the same person writing in a group: the group's conversation, the person as sender", async () => {
    await deliver(
      "A4",
      { Chat: `${GROUP}@g.us`, IsGroup: true, Sender: `${LID}@lid`, SenderAlt: "5511988776600@s.whatsapp.net", PushName: "Marina" },
      "no grupo",
    );
    const [inGroup] = await stored(["A4"]);
    const [group] = await db.select().from(contacts).where(eq(contacts.id, inGroup!.contactId));
    expect(group).toMatchObject({ kind: "group", phone: null });
    const [person] = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, organizationId), eq(contacts.phone, "+5511988776600")));
    expect(inGroup!.senderContactId).toBe(person!.id);
    await groupRefreshesSettled();
    expect((await db.select().from(contacts).where(eq(contacts.id, group!.id)))[0]!.name).toBe("Família");
  });
});
