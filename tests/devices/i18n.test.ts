// The devices page speaks the reader's language: page, kinds, statuses, confirmations, flashes and form
// errors in Brazilian Portuguese for a pt-BR member, last-seen times in the organization's zone with the
// zone named; /v1/devices answers in Accept-Language.
import { describe, expect, test } from "bun:test";
import { desc, eq, isNull } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { apiKeys, devices } from "@/db/schema";
import { api, TestClient } from "../helpers/client";
import { portugueseOrg, setupOrg } from "../helpers/factories";

const app = createApp();
const PT = { "accept-language": "pt-BR" };

describe("devices in Portuguese", () => {
  test("the page, a registered device and a revocation read in Portuguese; last seen is São Paulo time, zone shown", async () => {
    const { client, organization } = await portugueseOrg(app);
    const empty = await (await client.get("/devices")).text();
    expect(empty).toContain("<h1>Dispositivos</h1>");
    expect(empty).toContain("Cadastrar um dispositivo");
    expect(empty).toContain('<option value="mobile">celular</option>');
    expect(empty).toContain("Nenhum dispositivo ainda");

    const registered = await client.postForm("/devices", { name: "Balcão", kind: "pos", createKey: "on" });
    expect(registered.status).toBe(303);
    expect(await (await client.get("/devices")).text()).toContain("Dispositivo cadastrado");

    const [device] = await db.select().from(devices).where(eq(devices.organizationId, organization.id));
    await db
      .update(devices)
      .set({ lastSeenAt: new Date("2026-12-03T15:04:00Z") })
      .where(eq(devices.id, device!.id));
    const page = await (await client.get("/devices")).text();
    // 15:04 UTC is 12:04 in São Paulo.
    expect(page).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(page).toContain(">PDV</span>");
    expect(page).toContain(">ativo</span>");
    expect(page).toContain('hx-confirm="Revogar “Balcão” e a sua 1 chave de API?"');

    const revoked = await client.postForm(`/devices/${device!.id}/revoke`, {});
    expect(revoked.status).toBe(303);
    const after = await (await client.get("/devices")).text();
    expect(after).toContain("Balcão revogado, com 1 chave");
    expect(after).toContain(">revogado</span>");
    expect(after).not.toContain("Register a device");
  });

  test("a visitor's browser and key are named in the visitor's language (the names stay after sign-up)", async () => {
    const visitor = new TestClient(app);
    const res = await visitor.postForm("/try", {}, { headers: PT });
    expect(res.status).toBe(200);
    const [device] = await db.select().from(devices).where(isNull(devices.organizationId)).orderBy(desc(devices.createdAt)).limit(1);
    expect(device!.name).toBe("Navegador do visitante");
    const [key] = await db.select().from(apiKeys).where(eq(apiKeys.deviceId, device!.id));
    expect(key!.name).toBe("Chave do visitante");
  });

  test("form errors come back in Portuguese (422)", async () => {
    const { client } = await portugueseOrg(app);
    const bad = await client.postForm("/devices", { name: " ", kind: "fax", createKey: "on", keyScopes: "nope:read" }, { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Dê um nome ao dispositivo");
    expect(html).toContain("Escolha um destes tipos: browser, server, mobile, pos");
    expect(html).toContain("Escopo desconhecido");
  });

  test("the API answers in Accept-Language: field, forbidden and not-found messages in Portuguese, codes unchanged", async () => {
    const { key } = await setupOrg(app);
    const invalid = await api(app, "POST", "/v1/devices", key, { name: "", kind: "fax" }, PT);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe("validation_failed");
    expect(invalid.body.error.details).toContainEqual({ path: "name", message: "Dê um nome ao dispositivo" });

    const made = await api(app, "POST", "/v1/devices", key, { name: "Quiosque", createKey: true, keyScopes: ["devices:read", "devices:write"] });
    expect(made.status).toBe(201);
    const bound = await api(app, "POST", "/v1/devices", made.body.apiKey.secret, { name: "Outro" }, PT);
    expect(bound.status).toBe(403);
    expect(bound.body.error).toMatchObject({ code: "forbidden", message: "Uma chave vinculada a um dispositivo não pode cadastrar outros dispositivos" });

    const missing = await api(app, "GET", `/v1/devices/${crypto.randomUUID()}`, key, undefined, PT);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "not_found", message: "Dispositivo não encontrado" });

    const english = await api(app, "GET", `/v1/devices/${crypto.randomUUID()}`, key);
    expect(english.body.error.message).toBe("Device not found");
  });
});
