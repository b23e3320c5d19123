import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, instances, messages } from "@/db/schema";
import { groupRefreshesSettled } from "@/features/contacts/identity.service";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { recipientFor } from "@/features/messages/message.recipient";
import { cloudMessageBody, encryptCloudConfig } from "@/providers/cloud";
import { runOutboundOnce } from "@/workers/outbound.worker";
import type { Instance } from "@/db/schema";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/**
 * A Graph API server as the Cloud API answers: `POST /{phone-number-id}/messages` → `{messages:[{id}]}`,
 * `GET /{group-id}?fields=…` (Groups API) → the group's subject and description. Requests recorded.
 */
type Recorded = { method: string; path: string; query: URLSearchParams; auth: string | null; body: any };
const recorded: Recorded[] = [];
const PHONE_NUMBER_ID = "106540352242922";
const GROUP_ID = "Y2FwaV9ncm91cDoxNTU1MDEwMDAwMDo";
let sent = 0;
const graph = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const text = await req.text();
    recorded.push({
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      auth: req.headers.get("authorization"),
      body: text ? JSON.parse(text) : undefined,
    });
    if (req.method === "POST" && url.pathname === `/v21.0/${PHONE_NUMBER_ID}/messages`) {
      return Response.json({ messaging_product: "whatsapp", contacts: [{ input: "x" }], messages: [{ id: `wamid.CLOUD${++sent}` }] });
    }
    if (req.method === "GET" && url.pathname === `/v21.0/${GROUP_ID}`) {
      return Response.json({ id: GROUP_ID, subject: "Clientes VIP", description: "Atendimento", total_participant_count: 12 });
    }
    return Response.json({ error: { message: "Unsupported request", type: "GraphMethodException", code: 100 } }, { status: 400 });
  },
});

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let cloud: Instance;
let seq = 0;

beforeAll(async () => {
  config.cloudApiBase = `http://127.0.0.1:${graph.port}/v21.0`;
  org = await setupOrg(app);
  const providerConfig = encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: "EAAG-token", appSecret: "app-secret", verifyToken: "verify" });
  [cloud] = (await db
    .insert(instances)
    .values({ organizationId: org.organization.id, name: "Cloud", provider: "cloud", status: "connected", providerConfig })
    .returning()) as [Instance];
});

afterAll(async () => {
  await groupRefreshesSettled();
  graph.stop(true);
});

const posted = () => recorded.filter((r) => r.method === "POST");

describe("Cloud API recipients", () => {
  test("the request body addresses a phone, a group or a business-scoped user id as Meta documents", () => {
    expect(cloudMessageBody({ to: "+5511999990001", type: "text", text: "oi" })).toMatchObject({ recipient_type: "individual", to: "5511999990001" });
    const group = cloudMessageBody({ to: "", address: { kind: "group", id: GROUP_ID }, type: "text", text: "oi" });
    expect(group).toMatchObject({ recipient_type: "group", to: GROUP_ID });
    const bsuid = cloudMessageBody({ to: "", address: { kind: "bsuid", id: "BR.1502576394655843" }, type: "text", text: "oi" });
    expect(bsuid).toMatchObject({ recipient_type: "individual", recipient: "BR.1502576394655843" });
    expect(bsuid).not.toHaveProperty("to");
    expect(() => cloudMessageBody({ to: "", address: { kind: "lid", id: "1" }, type: "text", text: "oi" })).toThrow("cannot send to a lid");
  });

  test("recipientFor prefers the phone, then what the provider can reach", () => {
    const cloudCaps = { name: "cloud", addresses: ["group", "bsuid"] as const };
    const wuzapiCaps = { name: "wuzapi", addresses: ["group", "lid"] as const };
    const both = {
      kind: "person" as const,
      phone: null,
      identities: [
        { kind: "lid", value: "77" },
        { kind: "bsuid", value: "BR.9" },
      ],
    };
    expect(recipientFor(both, cloudCaps)).toEqual({ ok: true, to: "", address: { kind: "bsuid", id: "BR.9" } });
    expect(recipientFor(both, wuzapiCaps)).toEqual({ ok: true, to: "", address: { kind: "lid", id: "77" } });
    expect(recipientFor({ ...both, phone: "+5511999990001" }, cloudCaps)).toEqual({ ok: true, to: "+5511999990001" });
    const usernameOnly = recipientFor({ kind: "person", phone: null, identities: [{ kind: "username", value: "joana" }] }, cloudCaps);
    expect(usernameOnly).toMatchObject({ ok: false });
    expect(recipientFor({ kind: "group", phone: null, identities: [{ kind: "group", value: "1203" }] }, { name: "x" })).toMatchObject({ ok: false });
  });

  test("a Cloud group: its message opens the group conversation, its subject comes from the Groups API, a reply goes to the group", async () => {
    const inbound = await ingestInbound(cloud, {
      kind: "message",
      providerMessageId: `wamid.IN${++seq}`,
      from: "5511933330001",
      sender: { phone: "5511933330001", bsuid: "BR.3333", name: "Carla" },
      group: { id: GROUP_ID },
      type: "text",
      body: "bom dia",
      timestamp: new Date(),
    });
    if (inbound.kind !== "message") throw new Error("unexpected");
    await groupRefreshesSettled();
    const [group] = await db.select().from(contacts).where(eq(contacts.id, inbound.contact!.id));
    expect(group).toMatchObject({ kind: "group", name: "Clientes VIP" });
    const info = recorded.find((r) => r.method === "GET" && r.path === `/v21.0/${GROUP_ID}`)!;
    expect(info.query.get("fields")).toBe("subject,description,total_participant_count");
    expect(info.auth).toBe("Bearer EAAG-token");

    const res = await api(app, "POST", "/v1/messages", org.key, { instanceId: cloud.id, contactId: group!.id, type: "text", text: "Olá, grupo" });
    expect(res.status).toBe(202);
    expect(await runOutboundOnce()).toBe(1);
    expect(posted().at(-1)!.body).toMatchObject({
      messaging_product: "whatsapp",
      recipient_type: "group",
      to: GROUP_ID,
      type: "text",
      text: { body: "Olá, grupo" },
    });
  });

  test("a person known only by a business-scoped user id is reached through `recipient`", async () => {
    const inbound = await ingestInbound(cloud, {
      kind: "message",
      providerMessageId: `wamid.IN${++seq}`,
      from: "",
      sender: { bsuid: "BR.1502576394655843", username: "@joana" },
      type: "text",
      body: "oi",
      timestamp: new Date(),
    });
    if (inbound.kind !== "message") throw new Error("unexpected");
    expect(inbound.contact).toMatchObject({ phone: null, kind: "person" });
    const res = await api(app, "POST", "/v1/messages", org.key, { instanceId: cloud.id, contactId: inbound.contact!.id, type: "text", text: "Olá" });
    expect(res.status).toBe(202);
    expect(await runOutboundOnce()).toBe(1);
    const body = posted().at(-1)!.body;
    expect(body).toMatchObject({ recipient_type: "individual", recipient: "BR.1502576394655843", text: { body: "Olá" } });
    expect(body).not.toHaveProperty("to");
    const [stored] = await db
      .select()
      .from(messages)
      .where(eq(messages.providerMessageId, `wamid.CLOUD${sent}`));
    expect(stored).toMatchObject({ status: "sent", contactId: inbound.contact!.id });
  });
});
