import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { FLOW_STEP_TYPES } from "@/db/schema";
import { hasKey, LOCALES } from "@/lib/i18n";
import { api, type TestClient } from "../helpers/client";
import { portugueseOrg } from "../helpers/factories";

const app = createApp();

const step = (extra: Record<string, string>) => ({
  key: "",
  type: "send_text",
  templateKey: "",
  text: "",
  "config.variable": "",
  "config.workflowId": "",
  transitions: "",
  order: "",
  ...extra,
});

async function newFlow(client: TestClient, name: string) {
  const res = await client.postForm("/flows", { name }, { htmx: true });
  expect(res.status).toBe(204);
  return res.headers.get("hx-redirect")!;
}

describe("flows in Portuguese", () => {
  test("list, editor, problems and try-it read in pt-BR, with times in São Paulo's zone", async () => {
    const { client } = await portugueseOrg(app);
    const path = await newFlow(client, "Menu principal");
    expect(
      (await client.postForm(`${path}/steps`, step({ key: "menu", type: "choice", text: "1) vendas", transitions: "1=vendas" }), { htmx: true })).status,
    ).toBe(204);

    const editor = await (await client.get(path)).text();
    expect(editor).toContain("Etapa adicionada");
    expect(editor).toContain("<title>Menu principal v1");
    expect(editor).toContain("v1 rascunho");
    expect(editor).toContain("1 problema a corrigir antes de publicar");
    expect(editor).toContain("A etapa “menu” vai para a etapa inexistente “vendas”");
    expect(editor).toContain("oferecer opções (seguir conforme a resposta)");
    expect(editor).toContain("Adicionar uma etapa");
    expect(editor).toContain("Salvar configurações");
    expect(editor).toContain("Simula uma conversa com a versão 1 sem WhatsApp. {{name}} é o seu nome");
    expect(editor).toMatch(/<time datetime="[^"]+">\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2} (BRT|GMT-3)<\/time>/);
    expect(editor).not.toContain("Add a step");

    const refused = await client.postForm(`${path}/publish`, {}, { htmx: true });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("Não publicado: corrija estes problemas primeiro.");

    const list = await (await client.get("/flows")).text();
    expect(list).toContain("<h1>Fluxos</h1>");
    expect(list).toContain("não publicado");
    expect(list).toMatch(/<time datetime="[^"]+">\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2} (BRT|GMT-3)<\/time>/);

    const tryIt = await (await client.postForm(`${path}/try`, {}, { htmx: true })).text();
    expect(tryIt).toContain("1) vendas");
    expect(tryIt).toContain("(esperando uma resposta)");
  });

  test("step form, settings and API validation errors come back in Portuguese", async () => {
    const { client, key } = await portugueseOrg(app);
    const path = await newFlow(client, "Cadastro");
    const bad = await client.postForm(`${path}/steps`, step({ key: "Chave Ruim", type: "collect_input", transitions: "sem igual" }), { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Use só letras minúsculas, números, _ e -");
    expect(html).toContain("Dê nome à variável que guarda a resposta (letras, números e _)");
    expect(html).toContain("“sem igual” deve ser escrita assim: resposta=chave_da_etapa");
    const settings = await client.postForm(`${path}/settings`, { name: "Cadastro", followUps: "uma hora lembrete" }, { htmx: true });
    expect(settings.status).toBe(422);
    expect(await settings.text()).toContain("&quot;uma hora lembrete&quot; deve estar no formato &quot;&lt;segundos&gt; &lt;chave_do_modelo&gt;&quot;");

    const pt = { "accept-language": "pt-BR" };
    const created = await api(app, "POST", "/v1/flows", key, { name: "Menu" }, pt);
    expect(created.body.problems[0].message).toBe("Um fluxo precisa de pelo menos uma etapa");
    const badStep = await api(app, "POST", `/v1/flows/${created.body.id}/steps`, key, { key: "Não", type: "send_text" }, pt);
    expect(badStep.status).toBe(422);
    expect(badStep.body.error.details).toContainEqual({ path: "key", message: "Use só letras minúsculas, números, _ e -" });
    const empty = await api(app, "POST", "/v1/flows", key, { name: "" }, pt);
    expect(empty.body.error.details).toContainEqual({ path: "name", message: "Obrigatório" });
    const missing = await api(app, "GET", `/v1/flows/${crypto.randomUUID()}`, key, undefined, pt);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Fluxo não encontrado");
  });

  test("every label built from a stored value has its text in both languages", () => {
    const keys = [
      ...FLOW_STEP_TYPES.map((type) => `flows:stepTypes.${type}`),
      ...["draft", "published", "archived"].map((status) => `flows:version.${status}`),
    ];
    expect(keys.flatMap((key) => LOCALES.filter((locale) => !hasKey(key, locale)).map((locale) => `${key} (${locale})`))).toEqual([]);
  });
});
