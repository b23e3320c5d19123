import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { api } from "../helpers/client";
import { portugueseOrg } from "../helpers/factories";

const app = createApp();

describe("templates in Portuguese", () => {
  test("the list, the form and the flash read in pt-BR, with times in São Paulo's zone", async () => {
    const { client } = await portugueseOrg(app);
    const created = await client.postForm("/templates", { key: "boas_vindas", body: "Oi {{name}}", active: "true" }, { htmx: true });
    expect(created.status).toBe(204);
    const html = await (await client.get("/templates")).text();
    expect(html).toContain("Modelo criado");
    expect(html).toContain("<h1>Modelos</h1>");
    expect(html).toContain("Novo modelo");
    expect(html).toContain("Texto — use {{name}} para variáveis");
    expect(html).toContain("Criar modelo");
    expect(html).toMatch(/<time datetime="[^"]+">\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2} (BRT|GMT-3)<\/time>/);
    expect(html).not.toContain("New template");
  });

  test("form and API validation errors come back in Portuguese", async () => {
    const { client, key } = await portugueseOrg(app);
    const bad = await client.postForm("/templates", { key: "Chave Ruim", body: "", variants: "ok\n" }, { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Use só letras minúsculas, números, _ . e -");
    expect(html).toContain("Obrigatório");
    await client.postForm("/templates", { key: "promo", body: "x" }, { htmx: true });
    expect(await (await client.postForm("/templates", { key: "promo", body: "y" }, { htmx: true })).text()).toContain("Já existe um modelo com esta chave");

    const res = await api(app, "POST", "/v1/templates", key, { key: "Bad Key", body: "x", variables: ["não vale"] }, { "accept-language": "pt-BR" });
    expect(res.status).toBe(422);
    const messages = Object.fromEntries(res.body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]));
    expect(messages.key).toBe("Use só letras minúsculas, números, _ . e -");
    expect(messages["variables.0"]).toBe("Nomes de variáveis usam letras, números, _ . e -");
    await api(app, "POST", "/v1/templates", key, { key: "oi", body: "Oi" });
    const duplicate = await api(app, "POST", "/v1/templates", key, { key: "oi", body: "Olá" }, { "accept-language": "pt-BR" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({ code: "conflict", message: "Já existe um modelo com esta chave" });
    const missing = await api(app, "GET", `/v1/templates/${crypto.randomUUID()}`, key, undefined, { "accept-language": "pt-BR" });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Modelo não encontrado");
  });
});
