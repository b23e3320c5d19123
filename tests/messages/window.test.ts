import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, conversations, instances, messages, type Instance } from "@/db/schema";
import { encryptCloudConfig } from "@/providers";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/** A Graph server: the WABA's template listing and `POST /{phone-number-id}/messages`, recording what is sent. */
const WABA_ID = "102290129340398";
const PHONE_NUMBER_ID = "106540352242922";
const TOKEN = "EAAG-window-token";
const sent: any[] = [];
const graph = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) return Response.json({ error: { message: "bad token", code: 190 } }, { status: 401 });
    if (req.method === "GET" && url.pathname === `/v21.0/${WABA_ID}/message_templates`) {
      return Response.json({
        data: [
          {
            name: "order_update",
            language: "pt_BR",
            status: "APPROVED",
            category: "UTILITY",
            id: "1001",
            components: [
              { type: "HEADER", format: "TEXT", text: "Pedido {{1}}" },
              { type: "BODY", text: "Olá {{1}}, seu pedido {{2}} saiu para entrega." },
              { type: "BUTTONS", buttons: [{ type: "URL", text: "Rastrear", url: "https://example.com/t/{{1}}" }] },
            ],
          },
          { name: "spring_sale", language: "pt_BR", status: "REJECTED", category: "MARKETING", id: "1003", components: [{ type: "BODY", text: "Promo" }] },
        ],
        paging: { cursors: { before: "a", after: "b" } },
      });
    }
    if (req.method === "POST" && url.pathname === `/v21.0/${PHONE_NUMBER_ID}/messages`) {
      const body = await req.json();
      sent.push(body);
      return Response.json({ messaging_product: "whatsapp", contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: `wamid.W${sent.length}` }] });
    }
    return Response.json({ error: { message: "Unknown path components", code: 2500 } }, { status: 404 });
  },
});

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let instance: Instance;

beforeAll(async () => {
  config.cloudApiBase = `http://127.0.0.1:${graph.port}/v21.0`;
  org = await setupOrg(app);
  const providerConfig = encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: TOKEN, appSecret: "s", verifyToken: "v", wabaId: WABA_ID });
  [instance] = (await db
    .insert(instances)
    .values({ organizationId: org.organization.id, name: "Cloud", provider: "cloud", status: "connected", providerConfig })
    .returning()) as [Instance];
  expect((await api(app, "POST", `/v1/instances/${instance.id}/templates/sync`, org.key)).body).toEqual({ synced: 2 });
});
afterAll(() => graph.stop(true));

/** A contact who wrote to the instance `hoursAgo` hours ago (an inbound message in its conversation). */
async function contactWhoWrote(phone: string, hoursAgo: number | null) {
  const [contact] = await db.insert(contacts).values({ organizationId: org.organization.id, phone, name: "Ana" }).returning();
  const [conversation] = await db
    .insert(conversations)
    .values({ organizationId: org.organization.id, instanceId: instance.id, contactId: contact!.id })
    .returning();
  if (hoursAgo !== null) {
    await db.insert(messages).values({
      organizationId: org.organization.id,
      instanceId: instance.id,
      conversationId: conversation!.id,
      contactId: contact!.id,
      direction: "inbound",
      type: "text",
      body: "oi",
      status: "delivered",
      providerMessageId: `wamid.IN${phone}`,
      createdAt: new Date(Date.now() - hoursAgo * 3600_000),
    });
  }
  return { contact: contact!, conversation: conversation! };
}

const text = (to: string) => ({ instanceId: instance.id, to, type: "text", text: "Tudo certo?" });

describe("the 24-hour customer service window on Cloud instances", () => {
  test("free-form inside the window is queued; outside (or never opened) is 422 outside_customer_window naming approved templates, in both languages", async () => {
    await contactWhoWrote("+5511988880001", 2);
    expect((await api(app, "POST", "/v1/messages", org.key, text("+5511988880001"))).status).toBe(202);

    await contactWhoWrote("+5511988880002", 25);
    const late = await api(app, "POST", "/v1/messages", org.key, text("+5511988880002"));
    expect(late.status).toBe(422);
    expect(late.body.error.code).toBe("outside_customer_window");
    expect(late.body.error.message).toContain("Outside the 24-hour customer service window: the contact last wrote");
    expect(late.body.error.message).toContain("order_update (pt_BR)");
    expect(late.body.error.message).not.toContain("spring_sale");
    expect(late.body.error.details).toEqual([{ path: "template.name", message: "order_update (pt_BR)" }]);

    const pt = await api(app, "POST", "/v1/messages", org.key, text("+5511988880002"), { "accept-language": "pt-BR" });
    expect(pt.body.error.message).toContain("Fora da janela de atendimento de 24 horas");

    // A number that never wrote: no window at all.
    const never = await api(app, "POST", "/v1/messages", org.key, text("+5511988880003"));
    expect(never.status).toBe(422);
    expect(never.body.error.message).toContain("never wrote to this number");
    const stored = await db.select().from(messages).where(eq(messages.instanceId, instance.id));
    expect(stored.filter((m) => m.direction === "outbound").length).toBe(1);
  });

  test("an approved template goes out outside the window with header, body and button parameters in Meta's shape", async () => {
    await contactWhoWrote("+5511988880010", 30);
    const res = await api(app, "POST", "/v1/messages", org.key, {
      instanceId: instance.id,
      to: "+5511988880010",
      type: "template",
      template: {
        name: "order_update",
        language: "pt_BR",
        components: [
          { type: "header", parameters: [{ type: "text", text: "#123" }] },
          {
            type: "body",
            parameters: [
              { type: "text", text: "Ana" },
              { type: "text", text: "#123" },
            ],
          },
          { type: "button", sub_type: "url", index: 0, parameters: [{ type: "text", text: "123" }] },
        ],
      },
    });
    expect(res.status).toBe(202);
    const [message] = await db.select().from(messages).where(eq(messages.id, res.body.id));
    expect(message!.body).toBe("Pedido #123\nOlá Ana, seu pedido #123 saiu para entrega.");
    sent.length = 0;
    await runOutboundOnce();
    expect(sent.filter((b) => b.type === "template")).toEqual([
      {
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: "5511988880010",
        type: "template",
        template: {
          name: "order_update",
          language: { code: "pt_BR" },
          components: [
            { type: "header", parameters: [{ type: "text", text: "#123" }] },
            {
              type: "body",
              parameters: [
                { type: "text", text: "Ana" },
                { type: "text", text: "#123" },
              ],
            },
            { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: "123" }] },
          ],
        },
      },
    ]);
  });

  test("Meta's naming rules and the template's own rules are 422s naming the field, in both languages", async () => {
    const send = (template: unknown, lang = "en") =>
      api(app, "POST", "/v1/messages", org.key, { instanceId: instance.id, to: "+5511988880010", type: "template", template }, { "accept-language": lang });
    const badName = await send({ name: "Order-Update", language: "pt_BR" });
    expect(badName.status).toBe(422);
    expect(badName.body.error.details).toContainEqual({ path: "template.name", message: expect.stringContaining("lowercase letters, digits and _") });
    const badNamePt = await send({ name: "Order-Update", language: "pt_BR" }, "pt-BR");
    expect(badNamePt.body.error.details).toContainEqual({ path: "template.name", message: expect.stringContaining("letras minúsculas, números e _") });
    const badLang = await send({ name: "order_update", language: "pt-br" });
    expect(badLang.body.error.details).toContainEqual({ path: "template.language", message: expect.stringContaining("pt_BR") });
    const both = await send({ name: "order_update", key: "welcome", language: "pt_BR" });
    expect(both.body.error.details[0].path).toBe("template.name");
    const noButtonIndex = await send({ name: "order_update", language: "pt_BR", components: [{ type: "button", parameters: [] }] });
    expect(noButtonIndex.body.error.details[0].path).toBe("template.components.0.index");
    const bodyWithIndex = await send({ name: "order_update", language: "pt_BR", components: [{ type: "body", index: 1, parameters: [] }] });
    expect(bodyWithIndex.body.error.details[0]).toEqual({ path: "template.components.0.index", message: "sub_type and index apply to button components only" });

    const rejected = await send({ name: "spring_sale", language: "pt_BR" });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error.details[0].message).toBe("Template spring_sale (pt_BR) is REJECTED at WhatsApp; only approved templates can be sent");
    const unknown = await send({ name: "no_such_template", language: "pt_BR" });
    expect(unknown.body.error.details[0].path).toBe("template.name");
    const header = { type: "header", parameters: [{ type: "text", text: "#1" }] };
    const body = {
      type: "body",
      parameters: [
        { type: "text", text: "Ana" },
        { type: "text", text: "#1" },
      ],
    };
    const noUrlSuffix = await send({ name: "order_update", language: "pt_BR", components: [header, body] });
    expect(noUrlSuffix.body.error.details[0].message).toBe("Link button 0 of template order_update needs one parameter (the end of its link)");
    const noSuchButton = await send({
      name: "order_update",
      language: "pt_BR",
      components: [header, body, { type: "button", sub_type: "quick_reply", index: 3, parameters: [{ type: "payload", payload: "x" }] }],
    });
    expect(noSuchButton.body.error.details[0].message).toBe("Template order_update has no button at index 3");
    const missingParams = await send({ name: "order_update", language: "pt_BR" });
    expect(missingParams.body.error.details[0]).toEqual({
      path: "template.components",
      message: "The header of template order_update expects 1 parameters; 0 were given",
    });
  });

  test("the inbox header shows the window's remaining time, or that it is closed; another organization's conversation is a 404", async () => {
    const open = await contactWhoWrote("+5511988880030", 3.5);
    const closed = await contactWhoWrote("+5511988880031", 26);
    const header = await (await org.client.request(`/inbox/${open.conversation.id}/header`, { htmx: true })).text();
    expect(header).toContain(`hx-get="/inbox/${open.conversation.id}/window"`);
    const badge = await (await org.client.request(`/inbox/${open.conversation.id}/window`, { htmx: true })).text();
    expect(badge).toMatch(/24h window: 20 h (29|30) min left/);
    const shut = await (await org.client.request(`/inbox/${closed.conversation.id}/window`, { htmx: true })).text();
    expect(shut).toContain("24h window closed: approved templates only");
    const other = await setupOrg(app);
    expect((await other.client.request(`/inbox/${open.conversation.id}/window`, { htmx: true })).status).toBe(404);

    // A reply typed in the inbox after the window closed is refused in the reply box, naming the approved templates.
    const reply = await org.client.postForm(`/inbox/${closed.conversation.id}/reply`, { body: "Ainda aí?", kind: "reply" }, { htmx: true });
    expect(reply.status).toBe(422);
    const html = await reply.text();
    expect(html).toContain("Outside the 24-hour customer service window");
    expect(html).toContain("order_update (pt_BR)");
  });

  test("providers without a window are not limited; without provider templates a name send is unsupported_by_provider", async () => {
    const [sandbox] = await db
      .insert(instances)
      .values({ organizationId: org.organization.id, name: "Sandbox", provider: "sandbox", status: "connected" })
      .returning();
    expect((await api(app, "POST", "/v1/messages", org.key, { instanceId: sandbox!.id, to: "+5511988880020", type: "text", text: "oi" })).status).toBe(202);
    const res = await api(app, "POST", "/v1/messages", org.key, {
      instanceId: sandbox!.id,
      to: "+5511988880020",
      type: "template",
      template: { name: "order_update", language: "pt_BR" },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("unsupported_by_provider");
    expect(res.body.error.message).toContain("sandbox");
  });
});
