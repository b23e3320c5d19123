import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, users } from "@/db/schema";
import { formatDateTime, withLocale } from "@/lib/i18n";
import { api, TestClient } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;

const brazilianTime = (at: Date) => withLocale({ locale: "pt-BR", timeZone: "America/Sao_Paulo" }, () => formatDateTime(at));
const pt = { "accept-language": "pt-BR" };

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Instâncias BR" });
  instanceId = await connectedSandbox(app, org.key, "Vendas");
  await db.update(users).set({ language: "pt-BR", timeZone: "America/Sao_Paulo" }).where(eq(users.id, org.user.id));
});

describe("instances in Brazilian Portuguese", () => {
  test("the list and the instance page read in Portuguese, with times in São Paulo's zone", async () => {
    const list = await (await org.client.get("/instances")).text();
    for (const text of ["Instâncias", "Última atividade", "Conectada", "Nova instância", "Sandbox (número simulado, para testes)", "Criar instância"]) {
      expect(list).toContain(text);
    }
    const res = await org.client.get(`/instances/${instanceId}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    for (const text of [
      "← Instâncias",
      "criada em",
      "Conexão",
      "Pareada com",
      "Conectada desde",
      "Enviar mensagem de teste",
      "Olá do LivChat 👋",
      "Simular uma mensagem recebida",
      "Zona de perigo",
      "Excluir “Vendas” com todas as conversas e mensagens?",
    ]) {
      expect(page).toContain(text);
    }
    const [row] = await db.select().from(instances).where(eq(instances.id, instanceId));
    for (const at of [row!.createdAt, row!.lastConnectedAt!]) {
      const shown = brazilianTime(at);
      expect(shown).toMatch(/BRT|GMT-3/);
      expect(page).toContain(shown);
    }
  });

  test("forms answer in Portuguese: a blank name, a bad recipient, and the notice after a simulated message", async () => {
    const blank = await org.client.postForm("/instances", { name: " ", provider: "sandbox" }, { htmx: true });
    expect(blank.status).toBe(422);
    expect(await blank.text()).toContain("Informe um nome");
    const badTo = await org.client.postForm(`/instances/${instanceId}/test-message`, { to: "abc", text: "oi" }, { htmx: true });
    expect(badTo.status).toBe(422);
    expect(await badTo.text()).toContain("Informe o destinatário no formato internacional, por exemplo +5511999990001");
    const simulated = await org.client.postForm(`/instances/${instanceId}/simulate-inbound`, { from: "+5511933332222", text: "Olá" }, { htmx: true });
    expect(simulated.status).toBe(200);
    expect(await simulated.text()).toContain("Recebida “Olá” de +5511933332222.");
  });

  test("/v1/instances answers validation and 404 in the Accept-Language; English stays for en", async () => {
    const res = await api(app, "POST", "/v1/instances", org.key, { name: "", provider: "cloud", config: {} }, pt);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toContainEqual({ path: "name", message: "Informe um nome" });
    expect(res.body.error.details).toContainEqual({ path: "config.accessToken", message: "Informe o token de acesso" });
    const en = await api(app, "POST", "/v1/instances", org.key, { name: "" });
    expect(en.body.error.details).toContainEqual({ path: "name", message: "Enter a name" });
    const missing = await api(app, "GET", `/v1/instances/${crypto.randomUUID()}`, org.key, undefined, pt);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Instância não encontrada");
  });
});

describe("the sandbox pairing page for a Portuguese-speaking visitor", () => {
  test("reads in Portuguese from Accept-Language, and pairs", async () => {
    const created = await api(app, "POST", "/v1/instances", org.key, { name: "Parear <b>já</b>", provider: "sandbox" });
    const connected = await api(app, "POST", `/v1/instances/${created.body.id}/connect`, org.key);
    const path = new URL(connected.body.qr.code).pathname;
    const visitor = new TestClient(app);
    const page = await (await visitor.get(path, { headers: pt })).text();
    expect(page).toContain("Celular sandbox");
    expect(page).toContain("Parear a instância sandbox <strong>Parear &lt;b&gt;já&lt;/b&gt;</strong> como se este celular tivesse lido o QR code dela.");
    const paired = await visitor.postForm(path, {}, { headers: pt });
    expect(paired.status).toBe(200);
    expect(await paired.text()).toContain("está pareada com este celular simulado");
  });

  test("/v1/sandbox validation answers in Portuguese", async () => {
    const noFrom = await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, org.key, { text: "oi" }, pt);
    expect(noFrom.status).toBe(422);
    expect(noFrom.body.error.details).toContainEqual({ path: "from", message: "Informe o telefone do remetente" });
    const nothing = await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, org.key, { from: "+5511933332222" }, pt);
    expect(nothing.status).toBe(422);
    expect(nothing.body.error.details).toContainEqual({ path: "text", message: "Envie um texto, uma mídia ou um botão" });
    const idle = await api(app, "POST", "/v1/instances", org.key, { name: "Parada", provider: "sandbox" });
    const notPaired = await api(app, "POST", `/v1/sandbox/instances/${idle.body.id}/inbound`, org.key, { from: "+5511933332222", text: "oi" }, pt);
    expect(notPaired.status).toBe(409);
    expect(notPaired.body.error).toMatchObject({ code: "conflict", message: "A instância sandbox não está conectada; pareie-a primeiro" });
    const scan = await api(app, "POST", `/v1/sandbox/instances/${idle.body.id}/scan`, org.key, {}, pt);
    expect(scan.status).toBe(409);
    expect(scan.body.error.message).toBe("Conecte a instância primeiro para que ela mostre um QR code para ler");
  });
});
