// The usage page and /v1/usage in Portuguese: labels, counts with Brazilian separators, range errors.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { users } from "@/db/schema";
import { incrementUsage } from "@/features/usage/usage.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
const PT = { "accept-language": "pt-BR" };

describe("usage in Portuguese", () => {
  test("the page: labels, charts and counts (1.234), days said to be UTC", async () => {
    const { client, user, organization } = await setupOrg(app);
    await db.update(users).set({ language: "pt-BR", timeZone: null }).where(eq(users.id, user.id));
    await incrementUsage({ organizationId: organization.id, metric: "api_calls", by: 1234 });
    const html = await (await client.get("/usage")).text();
    expect(html).toContain("<h1>Uso</h1>");
    expect(html).toContain("Mensagens enviadas");
    expect(html).toContain("Entregas de webhooks");
    expect(html).toContain(">1.234<");
    expect(html).toMatch(/<div class="stat" title="1\.234">1,2\smil<\/div>/);
    expect(html).toContain("Chamadas de API: 1.234 no total em 30 dias");
    expect(html).toContain("Os dias são em UTC");
    expect(html).toContain(">7 dias<");

    const bad = await client.get("/usage?from=2025-03-01&to=2025-02-01");
    expect(bad.status).toBe(422);
    const page = await bad.text();
    expect(page).toContain("Deve ser igual ou posterior à data inicial");
    expect(page).toContain("Corrija o período acima (no máximo 366 dias).");
  });

  test("/v1/usage answers range errors and a foreign instance in the client's language, codes unchanged", async () => {
    const { key } = await setupOrg(app);
    const reversed = await api(app, "GET", "/v1/usage?from=2025-03-01&to=2025-02-01", key, undefined, PT);
    expect(reversed.status).toBe(422);
    expect(reversed.body.error).toMatchObject({
      code: "validation_failed",
      message: "Período inválido",
      details: [{ path: "to", message: "Deve ser igual ou posterior à data inicial" }],
    });
    const tooLong = await api(app, "GET", "/v1/usage?from=2020-01-01&to=2025-01-01", key, undefined, PT);
    expect(tooLong.body.error.details[0].message).toBe("O período pode cobrir no máximo 366 dias");
    const badDay = await api(app, "GET", "/v1/usage?from=2025-02-30", key, undefined, PT);
    expect(badDay.status).toBe(422);
    expect(JSON.stringify(badDay.body.error.details)).toContain("Essa data não existe no calendário");
    const foreign = await api(app, "GET", `/v1/usage?instanceId=${crypto.randomUUID()}`, key, undefined, PT);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toMatchObject({ code: "not_found", message: "Instância não encontrada" });
  });
});
