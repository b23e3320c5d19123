import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { messages, users } from "@/db/schema";
import { formatDateTime, withLocale } from "@/lib/i18n";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let conv: { messageId: string; conversationId: string; contactId: string };
let instanceId: string;

/** How the page must show `at` to a Brazilian member: their language, the organization's zone, zone named. */
const brazilianTime = (at: Date) => withLocale({ locale: "pt-BR", timeZone: "America/Sao_Paulo" }, () => formatDateTime(at));

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Caixa BR" });
  instanceId = await connectedSandbox(app, org.key);
  conv = await inbound(app, org.key, instanceId, { from: "+5511955554444", name: "Maria", text: "Oi, tudo bem?" });
  // The member reads Portuguese in the organization's zone (the organization defaults to America/Sao_Paulo).
  await db.update(users).set({ language: "pt-BR", timeZone: "America/Sao_Paulo" }).where(eq(users.id, org.user.id));
});

describe("the inbox in Brazilian Portuguese", () => {
  test("list and conversation read in Portuguese, with times in São Paulo's zone", async () => {
    const res = await org.client.get(`/inbox/${conv.conversationId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const text of [
      "Caixa de entrada",
      "Abertas",
      "Minhas",
      "aberta",
      "atendida pelo bot",
      "Sem atendente",
      "Atribuir a mim",
      "Transferir para humano",
      "Resolver",
      "Adicionar nota privada",
      "Digite uma resposta…",
    ]) {
      expect(html).toContain(text);
    }
    expect(html).not.toContain("Hand off to human");
    const [message] = await db.select().from(messages).where(eq(messages.id, conv.messageId));
    const shown = brazilianTime(message!.createdAt);
    expect(shown).toMatch(/BRT|GMT-3/);
    expect(html).toContain(shown);
  });

  test("a media message's preview names its kind in Portuguese", async () => {
    await inbound(app, org.key, instanceId, { from: "+5511955553333", media: { url: "https://example.com/foto.jpg", type: "image", caption: "foto" } });
    const html = await (await org.client.get("/inbox")).text();
    expect(html).toContain("[imagem] foto");
    expect(html).not.toContain("[image]");
  });

  test("the live stream renders each member's bubbles in their own language and zone", async () => {
    const agent = await createMember(org.organization.id, "agent");
    await db.update(users).set({ language: "en", timeZone: "UTC" }).where(eq(users.id, agent.id));
    const english = await signIn(app, agent.id, org.organization.id);
    const decoder = new TextDecoder();
    const open = async (client: typeof english) => {
      const controller = new AbortController();
      const res = await client.get("/inbox/stream", { signal: controller.signal });
      const reader = res.body!.getReader();
      const s = {
        text: "",
        controller,
        async until(needle: string) {
          while (!s.text.includes(needle)) {
            const { value, done } = await reader.read();
            if (done) break;
            s.text += typeof value === "string" ? value : decoder.decode(value);
          }
          return s.text;
        },
      };
      await s.until("event: ready");
      return s;
    };
    const pt = await open(org.client);
    const en = await open(english);
    const sent = await api(app, "POST", "/v1/messages", org.key, { instanceId, type: "text", to: "+5511955554444", text: "Pedido enviado" });
    expect(sent.status).toBe(202);
    await pt.until(`msg-${sent.body.id}`);
    await en.until(`msg-${sent.body.id}`);
    const [row] = await db.select().from(messages).where(eq(messages.id, sent.body.id));
    expect(pt.text).toContain(brazilianTime(row!.createdAt));
    expect(pt.text).toMatch(/tick-label">(Na fila|Enviada|Entregue|Lida)</);
    expect(en.text).toContain(withLocale({ locale: "en", timeZone: "UTC" }, () => formatDateTime(row!.createdAt)));
    expect(en.text).toMatch(/tick-label">(Queued|Sent|Delivered|Read)</);
    pt.controller.abort();
    en.controller.abort();
  });

  test("an empty reply is refused in Portuguese", async () => {
    const empty = await org.client.postForm(`/inbox/${conv.conversationId}/reply`, { body: "  " }, { htmx: true });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Escreva uma mensagem");
  });

  test("/v1 answers in the Accept-Language: assigning a non-member is refused in Portuguese", async () => {
    const res = await api(
      app,
      "POST",
      `/v1/conversations/${conv.conversationId}/assign`,
      org.key,
      { userId: crypto.randomUUID() },
      { "accept-language": "pt-BR" },
    );
    expect(res.status).toBe(422);
    expect(res.body.error.details).toContainEqual({ path: "userId", message: "Escolha um membro desta organização." });
    const missing = await api(app, "GET", `/v1/conversations/${crypto.randomUUID()}`, org.key, undefined, { "accept-language": "pt-BR" });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Conversa não encontrada");
  });
});
