import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { messages, users } from "@/db/schema";
import { formatDateTime, withLocale } from "@/lib/i18n";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;

const pt = { "accept-language": "pt-BR" };

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Mensagens BR" });
});

describe("sending messages in Brazilian Portuguese", () => {
  test("/v1/messages validation and sending rules answer in the Accept-Language; codes stay the same", async () => {
    const invalid = await api(app, "POST", "/v1/messages", org.key, { type: "text", to: "abc", text: " " }, pt);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe("validation_failed");
    expect(invalid.body.error.details).toContainEqual({ path: "to", message: "Informe o destinatário no formato internacional, por exemplo +5511999990001" });
    expect(invalid.body.error.details).toContainEqual({ path: "text", message: "Informe o texto" });
    const noInstance = await api(app, "POST", "/v1/messages", org.key, { type: "text", to: "+5511922221111", text: "oi" }, pt);
    expect(noInstance.status).toBe(422);
    expect(noInstance.body.error.details).toContainEqual({
      path: "instanceId",
      message: "Nenhuma instância conectada para enviar: conecte uma ou informe qual com instanceId",
    });
    const missing = await api(app, "GET", `/v1/messages/${crypto.randomUUID()}`, org.key, undefined, pt);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "not_found", message: "Mensagem não encontrada" });
  });

  test("a sent message shows in the inbox with its status and time in Portuguese, in São Paulo's zone", async () => {
    const instanceId = await connectedSandbox(app, org.key);
    const sent = await api(app, "POST", "/v1/messages", org.key, { instanceId, type: "text", to: "+5511922221111", text: "Seu pedido saiu" });
    expect(sent.status).toBe(202);
    await db.update(users).set({ language: "pt-BR", timeZone: "America/Sao_Paulo" }).where(eq(users.id, org.user.id));
    const [row] = await db.select().from(messages).where(eq(messages.id, sent.body.id));
    const html = await (await org.client.get(`/inbox/${row!.conversationId}`)).text();
    expect(html).toMatch(/class="tick-label">(Na fila|Enviada|Entregue)</);
    const shown = withLocale({ locale: "pt-BR", timeZone: "America/Sao_Paulo" }, () => formatDateTime(row!.createdAt));
    expect(shown).toMatch(/BRT|GMT-3/);
    expect(html).toContain(shown);
  });
});
