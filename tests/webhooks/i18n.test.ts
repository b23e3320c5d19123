// Webhook pages speak the reader's language: list, endpoint page, flashes, form and API errors in
// Brazilian Portuguese for a pt-BR member or client; times in the organization's zone with the zone
// named, and the recover form's time read on that clock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookDeliveries, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { drainDueDeliveries } from "@/features/webhooks/delivery.send";
import { localDateTimeInZone } from "@/lib/i18n";
import { api } from "../helpers/client";
import { portugueseOrg, setupOrg } from "../helpers/factories";
import { startSubscriber } from "./subscriber";

const app = createApp();
const PT = { "accept-language": "pt-BR" };
const sub = startSubscriber(() => new Response("ok"));

beforeAll(() => {
  config.allowPrivateWebhookTargets = true;
});
afterAll(() => sub.stop());

describe("webhooks in Portuguese", () => {
  test("list, new form, endpoint page and flash read in Portuguese; a disabled endpoint's time is São Paulo time, zone shown", async () => {
    const { client } = await portugueseOrg(app);
    const empty = await (await client.get("/webhooks")).text();
    expect(empty).toContain("Nenhum endpoint ainda");
    expect(empty).toContain("Novo endpoint");

    const form = await (await client.get("/webhooks/new")).text();
    expect(form).toContain("Novo endpoint de webhook");
    expect(form).toContain("URL do endpoint");
    expect(form).toContain("Cabeçalhos personalizados");
    expect(form).toContain('placeholder="Sincronização com o CRM"');

    const created = await client.postForm("/webhooks", { url: sub.url, name: "CRM" });
    expect(created.status).toBe(303);
    const location = created.headers.get("location")!;
    const secretPage = await (await client.get(location)).text();
    expect(secretPage).toContain("Endpoint criado");
    expect(secretPage).toContain("não será mostrado de novo");

    const id = location.split("/").at(-1)!;
    await db
      .update(webhooks)
      .set({ active: false, disabledAt: new Date("2026-12-03T15:04:00Z") })
      .where(eq(webhooks.id, id));
    const list = await (await client.get("/webhooks")).text();
    expect(list).toContain("desativado");
    expect(list).toContain("nenhuma entrega");
    // 15:04 UTC is 12:04 in São Paulo.
    expect(list).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);

    const enabled = await client.postForm(`/webhooks/${id}/enable`, {});
    expect(enabled.status).toBe(303);
    const show = await (await client.get(`/webhooks/${id}`)).text();
    expect(show).toContain("Endpoint ativado; as entregas em espera continuam");
    expect(show).toContain("Registro de entregas");
    expect(show).toContain("Reenviar tudo o que falhou desde (America/Sao_Paulo)");
    expect(show).toContain('data-confirm="Excluir este endpoint e o seu registro de entregas?"');
    expect(show).not.toContain("Delivery log");

    // The stored reason stays stable English for the API; the page words it for the reader.
    await client.postForm(`/webhooks/${id}/disable`, {});
    const disabled = await (await client.get(`/webhooks/${id}`)).text();
    expect(disabled).toContain("Endpoint desativado; novos eventos não entram na fila dele");
    expect(disabled).toContain("Desativado por uma pessoa");
    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(row!.disabledReason).toBe("Disabled by a user");
  });

  test("the recover form's time is read on the reader's clock (São Paulo), not as UTC", async () => {
    const { client } = await portugueseOrg(app);
    const created = await client.postForm("/webhooks", { url: sub.url });
    const id = created.headers.get("location")!.split("/").at(-1)!;
    await client.get(`/webhooks/${id}`); // the secret, shown once
    // An hour ago in São Paulo; read as UTC it would be two hours from now, "in the future".
    const since = localDateTimeInZone(new Date(Date.now() - 3_600_000), "America/Sao_Paulo");
    const recover = await client.postForm(`/webhooks/${id}/recover`, { since });
    expect(recover.status).toBe(303);
    expect(await (await client.get(`/webhooks/${id}`)).text()).toContain("Nenhuma entrega colocada de novo na fila");
  });

  test("a failed attempt's stored reason (stable English) is worded in Portuguese in the log and on the attempt", async () => {
    const { client, organization } = await portugueseOrg(app);
    const created = await client.postForm("/webhooks", { url: sub.url, eventTypes: "contact.created" });
    const id = created.headers.get("location")!.split("/").at(-1)!;
    // Saved while private targets were allowed, delivered with the guard on: the attempt is refused.
    config.allowPrivateWebhookTargets = false;
    try {
      await recordEvent({ organizationId: organization.id, type: "contact.created", data: {} });
      await drainDueDeliveries();
    } finally {
      config.allowPrivateWebhookTargets = true;
    }
    const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
    expect(delivery!.lastError).toStartWith("Refused: ");
    await client.get(`/webhooks/${id}`); // the secret, shown once
    const log = await (await client.get(`/webhooks/${id}`)).text();
    expect(log).toContain("Recusado: ");
    expect(log).toContain(">falhou</span>");
    const attempt = await (await client.get(`/webhooks/${id}/deliveries/${delivery!.id}`)).text();
    expect(attempt).toContain("Tentativa 1");
    expect(attempt).toContain("sem resposta");
    expect(attempt).toContain("Recusado: ");
    expect(attempt).not.toContain("Refused: ");
  });

  test("form errors come back in Portuguese (422)", async () => {
    const { client } = await portugueseOrg(app);
    const bad = await client.postForm("/webhooks", { url: "ftp://example.com/hook", headers: "sem dois pontos\nwebhook-id: 1" });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Apenas URLs http e https são permitidas");
    expect(html).toContain("Linha 1: escreva os cabeçalhos como “Nome: valor”");
    expect(html).toContain("webhook-id é definido pelo LivChat");
  });

  test("the API answers in Accept-Language: field and not-found messages in Portuguese, codes unchanged", async () => {
    const { key } = await setupOrg(app);
    const invalid = await api(app, "POST", "/v1/webhooks", key, { url: "https://user:pw@example.com/hook", eventTypes: [] }, PT);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe("validation_failed");
    expect(invalid.body.error.details).toContainEqual({ path: "url", message: "Credenciais na URL não são permitidas; use um cabeçalho personalizado" });
    expect(invalid.body.error.details).toContainEqual({
      path: "eventTypes",
      message: "Escolha pelo menos um tipo de evento, ou envie null para todos os tipos",
    });

    const missing = await api(app, "GET", `/v1/webhooks/${crypto.randomUUID()}`, key, undefined, PT);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "not_found", message: "Webhook não encontrado" });

    const english = await api(app, "GET", `/v1/webhooks/${crypto.randomUUID()}`, key);
    expect(english.body.error.message).toBe("Webhook not found");
  });
});
