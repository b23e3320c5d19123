// Workflows speak the reader's language: pages, flash messages, form and API errors in Brazilian
// Portuguese for a pt-BR member or client, times in the organization's zone with the zone named.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { threads } from "@/db/schema";
import { createThread } from "@/features/workflows/thread.service";
import { api } from "../helpers/client";
import { portugueseOrg, setupOrg } from "../helpers/factories";

const app = createApp();
const PT = { "accept-language": "pt-BR" };

const form = (extra: Record<string, string> = {}) => ({ name: "Atendimento", provider: "openai", "config.model": "gpt-test", ...extra });

describe("workflows in Portuguese", () => {
  test("the list, the workflow page and its flash read in Portuguese; a thread's time is in São Paulo time, zone shown", async () => {
    const { client, organization } = await portugueseOrg(app);
    const list = await (await client.get("/workflows")).text();
    expect(list).toContain("Nenhum workflow ainda");
    expect(list).toContain("Novo workflow");
    expect(list).toContain("Modelo compatível com OpenAI");
    expect(list).toContain("Chave do modelo de contingência");

    const created = await client.postForm("/workflows", form(), { htmx: true });
    expect(created.status).toBe(204);
    const location = created.headers.get("hx-redirect")!;
    const [workflowId] = location.split("/").slice(-1);
    const thread = await createThread(organization.id, workflowId!, { title: "Maria" });
    await db
      .update(threads)
      .set({ lastMessageAt: new Date("2026-12-03T15:04:00Z"), messageCount: 1234 })
      .where(eq(threads.id, thread.id));

    const page = await (await client.get(location)).text();
    expect(page).toContain("Workflow criado");
    expect(page).toContain("Chat de teste");
    expect(page).toContain('placeholder="Diga alguma coisa…"');
    expect(page).toContain('data-error-text="A requisição falhou ({status})"');
    expect(page).toContain("Última mensagem");
    expect(page).toContain("1.234");
    expect(page).toContain("Arquivar");
    expect(page).toContain('data-confirm="Excluir este workflow e suas threads?"');
    // 15:04 UTC is 12:04 in São Paulo.
    expect(page).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(page).not.toContain("Test chat");
  });

  test("form errors come back in Portuguese (422)", async () => {
    const { client } = await portugueseOrg(app);
    const bad = await client.postForm("/workflows", form({ name: "", "config.temperature": "quente", followUps: "amanhã" }), { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Obrigatório");
    expect(html).toContain("Deve ser um número");
    expect(html).toContain("&quot;amanhã&quot; deve estar no formato &quot;&lt;segundos&gt; &lt;chave_do_modelo&gt;&quot;");
  });

  test("the API answers in Accept-Language: field and not-found messages in Portuguese, codes unchanged", async () => {
    const { key } = await setupOrg(app);
    const invalid = await api(app, "POST", "/v1/workflows", key, { name: "AST", provider: "ast", config: { providerId: "nope" } }, PT);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe("validation_failed");
    expect(invalid.body.error.details).toContainEqual({ path: "config.providerId", message: "Deve ser um ID de workflow do AST (wf_…)" });

    const ownEndpoint = await api(
      app,
      "POST",
      "/v1/workflows",
      key,
      { name: "Própria", provider: "openai", config: { model: "m", baseUrl: "https://llm.example.com/v1" } },
      PT,
    );
    expect(ownEndpoint.status).toBe(422);
    expect(ownEndpoint.body.error.details[0].message).toContain("precisa de sua própria chave de API");

    const missing = await api(app, "GET", `/v1/workflows/${crypto.randomUUID()}`, key, undefined, PT);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "not_found", message: "Workflow não encontrado" });

    const english = await api(app, "GET", `/v1/workflows/${crypto.randomUUID()}`, key);
    expect(english.body.error.message).toBe("Workflow not found");
  });
});
