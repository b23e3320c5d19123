import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { TRIGGER_MATCHES, triggers, users } from "@/db/schema";
import { TRIGGER_ACTIONS } from "@/features/triggers/trigger.schema";
import { hasKey, LOCALES } from "@/lib/i18n";
import { createTemplate } from "@/features/templates/template.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

const app = createApp();

/** An owner who reads the admin in Brazilian Portuguese, in their organization's zone, with a template to reply with. */
async function portugueseOrg() {
  const org = await setupOrg(app);
  await db.update(users).set({ language: "pt-BR", timeZone: "America/Sao_Paulo" }).where(eq(users.id, org.user.id));
  await createTemplate(systemCaller("test", org.organization.id), { key: "boas_vindas", body: "Bem-vindo!", variants: [], variables: [], active: true });
  return org;
}

const form = (extra: Record<string, string> = {}) => ({
  name: "Menu",
  match: "equals",
  pattern: "menu",
  priority: "0",
  cooldownSeconds: "600",
  action: "reply_template",
  templateKey: "boas_vindas",
  active: "true",
  ...extra,
});

describe("triggers in Portuguese", () => {
  test("list, test box and edit page read in pt-BR, with the change time in São Paulo's zone", async () => {
    const { client, organization } = await portugueseOrg();
    expect((await client.postForm("/triggers", form(), { htmx: true })).status).toBe(204);
    const list = await (await client.get("/triggers")).text();
    expect(list).toContain("Gatilho criado");
    expect(list).toContain("<h1>Gatilhos</h1>");
    expect(list).toContain("igual a (mensagem inteira)");
    expect(list).toContain("responder com um modelo");
    expect(list).toContain("600 s");
    expect(list).toContain("Testar uma mensagem");
    expect(list).not.toContain("New trigger");

    const tested = await (await client.postForm("/triggers/test", { text: "MENU" }, { htmx: true })).text();
    expect(tested).toContain("<strong>Menu</strong> dispararia e iria responder com um modelo:");
    expect(tested).toContain("dispara");

    const [trigger] = await db.select().from(triggers).where(eq(triggers.organizationId, organization.id));
    const edit = await (await client.get(`/triggers/${trigger!.id}`)).text();
    expect(edit).toContain("Alterado em");
    expect(edit).toMatch(/<time datetime="[^"]+">\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2} (BRT|GMT-3)<\/time>/);
  });

  test("form, test box and API validation errors come back in Portuguese", async () => {
    const { client, key } = await portugueseOrg();
    const bad = await client.postForm("/triggers", form({ match: "regex", pattern: "(a)\\1", priority: "alta", action: "start_flow" }), { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Retrovisores (\\1, \\k&lt;nome&gt;) não são aceitos");
    expect(html).toContain("Deve ser um número inteiro");
    expect(html).toContain("Escolha o fluxo a iniciar");
    const empty = await client.postForm("/triggers/test", { text: " " }, { htmx: true });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Digite a mensagem que um contato enviaria");

    const res = await api(
      app,
      "POST",
      "/v1/triggers",
      key,
      { match: "contains", pattern: "", action: "reply_template", templateKey: "nao_existe" },
      { "accept-language": "pt-BR" },
    );
    expect(res.status).toBe(422);
    expect(res.body.error.details).toContainEqual({ path: "pattern", message: "Um gatilho “contém” precisa de um padrão" });
    const unknown = await api(
      app,
      "POST",
      "/v1/triggers",
      key,
      { match: "any", action: "reply_template", templateKey: "nao_existe" },
      { "accept-language": "pt-BR" },
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details).toContainEqual({ path: "templateKey", message: "Não há modelo com a chave “nao_existe”" });
    const missing = await api(app, "GET", `/v1/triggers/${crypto.randomUUID()}`, key, undefined, { "accept-language": "pt-BR" });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Gatilho não encontrado");
  });

  test("every label built from a stored value has its text in both languages", () => {
    const keys = [
      ...TRIGGER_MATCHES.map((m) => `triggers:match.${m}`),
      ...TRIGGER_ACTIONS.map((a) => `triggers:action.${a}`),
      ...["fires", "shadowed", "no_match", "inactive", "other_instance"].map((o) => `triggers:test.outcome.${o}`),
      ...["equals", "contains", "regex"].map((m) => `triggers:errors.patternNeeded.${m}`),
    ];
    expect(keys.flatMap((key) => LOCALES.filter((locale) => !hasKey(key, locale)).map((locale) => `${key} (${locale})`))).toEqual([]);
  });
});
