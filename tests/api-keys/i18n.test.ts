// The API keys page speaks the reader's language: page, statuses, confirmations and form errors in
// Brazilian Portuguese for a pt-BR member; times in the organization's zone with the zone named, and an
// expiry date that ends on that zone's calendar.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { apiKeys } from "@/db/schema";
import { portugueseOrg } from "../helpers/factories";

const app = createApp();

describe("API keys in Portuguese", () => {
  test("the page, a new key and the list read in Portuguese; last use is São Paulo time, zone shown", async () => {
    const { client, apiKey } = await portugueseOrg(app);
    await db
      .update(apiKeys)
      .set({ lastUsedAt: new Date("2026-12-03T15:04:00Z"), requestsPerMinute: 1200 })
      .where(eq(apiKeys.id, apiKey.id));
    const page = await (await client.get("/api-keys")).text();
    expect(page).toContain("<h1>Chaves de API</h1>");
    expect(page).toContain("Criar uma chave de API");
    expect(page).toContain("Expira (no fim do dia, America/Sao_Paulo)");
    expect(page).toContain("Último uso");
    expect(page).toContain("1.200 req/min");
    expect(page).toContain('hx-confirm="Revogar “test”? Tudo o que a usa para de funcionar em até um segundo."');
    expect(page).toContain(">ativa</span>");
    // 15:04 UTC is 12:04 in São Paulo.
    expect(page).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(page).not.toContain("Create an API key");

    const created = await client.postForm("/api-keys", { name: "Loja", scopes: "messages:write", expiresAt: "2099-12-31" });
    expect(created.status).toBe(303);
    const shown = await (await client.get("/api-keys")).text();
    expect(shown).toContain("Chave de API criada");
    expect(shown).toContain("não será mostrada de novo");
    expect(shown).toContain('data-copied="Copiado"');
    // The last moment of Dec 31 in São Paulo (UTC-3), not in UTC.
    const [row] = await db.select().from(apiKeys).where(eq(apiKeys.name, "Loja"));
    expect(row!.expiresAt!.toISOString()).toBe("2100-01-01T02:59:59.999Z");
  });

  test("form errors come back in Portuguese (422)", async () => {
    const { client } = await portugueseOrg(app);
    const bad = await client.postForm(
      "/api-keys",
      { name: "", scopes: ["nope:read"], expiresAt: "2001-01-01", requestsPerMinute: "-3", maxMessagesPerDay: "abc" },
      { htmx: true },
    );
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Dê um nome à chave");
    expect(html).toContain("Escopo desconhecido");
    expect(html).toContain("A data de expiração deve estar no futuro");
    expect(html).toContain("Deve ser pelo menos 1");
    expect(html).toContain("Informe um número inteiro");
  });
});
