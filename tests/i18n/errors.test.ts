// The generic errors (unknown route, malformed body, validation, missing resource) answer in the
// request's language; their codes never change.
import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
const PT = { "accept-language": "pt-BR" };

describe("generic errors in Portuguese", () => {
  test("route not found, malformed body, body that is not an object, id that cannot exist", async () => {
    const { key } = await setupOrg(app);
    const route = await api(app, "GET", "/v1/nothing-here", key, undefined, PT);
    expect(route.status).toBe(404);
    expect(route.body.error).toMatchObject({ code: "not_found", message: "Rota não encontrada" });

    const malformed = await api(app, "POST", "/v1/templates", key, "{not json", PT);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: "bad_request", message: "O corpo da requisição está malformado" });

    const array = await api(app, "POST", "/v1/templates", key, "[]", PT);
    expect(array.status).toBe(400);
    expect(array.body.error).toMatchObject({ code: "bad_request", message: "O corpo da requisição deve ser um objeto JSON" });

    const badId = await api(app, "GET", "/v1/instances/not-a-uuid", key, undefined, PT);
    expect(badId.status).toBe(404);
    expect(badId.body.error).toMatchObject({ code: "not_found", message: "Recurso não encontrado" });
  });

  test("the same errors stay in English for an English client", async () => {
    const { key } = await setupOrg(app);
    expect((await api(app, "GET", "/v1/nothing-here", key)).body.error.message).toBe("Route not found");
    expect((await api(app, "GET", "/v1/instances/not-a-uuid", key)).body.error.message).toBe("Resource not found");
  });

  test("an unknown page is an error page in Portuguese for a visitor", async () => {
    const res = await app.handle(new Request("http://localhost/definitely/not/here", { headers: PT }));
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('<html lang="pt-BR">');
    expect(html).toContain("<title>Erro · LivChat</title>");
    expect(html).toContain("404 · não encontrado");
    expect(html).toContain("Rota não encontrada");
    // app.js words a failed htmx request from the page, in the page's language.
    expect(html).toContain('data-request-failed="A requisição falhou ({status})"');
  });
});

test("every label keyed by a stored value exists in both languages (error codes, roles, languages, usage metrics)", async () => {
  const { ERROR_STATUS } = await import("@/lib/errors");
  const { LANGUAGES, ROLES, USAGE_METRICS } = await import("@/db/schema");
  const { hasKey, LOCALES } = await import("@/lib/i18n");
  const keys = [
    ...Object.keys(ERROR_STATUS).map((code) => `shell:errorPage.codes.${code}`),
    ...ROLES.map((role) => `common:roles.${role}`),
    ...LANGUAGES.map((language) => `organizations:languages.${language}`),
    ...USAGE_METRICS.map((metric) => `usage:metrics.${metric}`),
  ];
  const missing = keys.flatMap((key) => LOCALES.filter((locale) => !hasKey(key, locale)).map((locale) => `${key} (${locale})`));
  expect(missing).toEqual([]);
});
