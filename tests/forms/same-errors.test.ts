import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { users } from "@/db/schema";
import { createTemplate } from "@/features/templates/template.service";
import type { FieldError } from "@/lib/errors";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

/**
 * One zod schema (and one service) answers both `/v1` and the admin form: the same invalid input gets
 * the same field errors — paths and messages — from either. A form names its fields by their API path
 * and shows each error under `id="f-<path>-error"` (or `data-error-for="<path>"`).
 */
const app = createApp();

const unescapeHtml = (s: string) =>
  s.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

/** The field errors a re-rendered form shows, as `{path, message}` (a list of errors under one field names each one's path). */
function formFieldErrors(html: string): FieldError[] {
  return [...html.matchAll(/<small class="error" (?:id="f-([^"]+)-error"|data-error-for="([^"]+)")[^>]*>([^<]*)<\/small>/g)].map((m) => ({
    path: (m[1] ?? m[2])!,
    message: unescapeHtml(m[3]!.trim()),
  }));
}

const sorted = (errors: FieldError[]) => [...errors].sort((a, b) => a.path.localeCompare(b.path) || a.message.localeCompare(b.message));

async function apiErrors(method: string, path: string, key: string, body: unknown, language = "en"): Promise<FieldError[]> {
  const res = await api(app, method, path, key, body, { "accept-language": language });
  expect(res.status).toBe(422);
  return res.body.error.details;
}

async function formErrors(res: Response): Promise<FieldError[]> {
  expect(res.status).toBe(422);
  return formFieldErrors(await res.text());
}

describe("the same invalid input gets the same field errors from /v1 and from the form", () => {
  test.each(["en", "pt-BR"])("flow steps (%s): what each step type needs, variable names, template or text", async (language) => {
    const { client, key, organization, user } = await setupOrg(app, { scopes: ["workflows:read", "workflows:write"] });
    // The admin reads in the member's language; the API in Accept-Language.
    await db.update(users).set({ language }).where(eq(users.id, user.id));
    await createTemplate(systemCaller("test", organization.id), { key: "menu", body: "1 or 2?", variants: [], variables: [], active: true });
    const created = await api(app, "POST", "/v1/flows", key, { name: "Intake" });
    expect(created.status).toBe(201);
    const flowId = created.body.id as string;
    const form = (fields: Record<string, string>) =>
      client.postForm(
        `/flows/${flowId}/steps`,
        { key: "", type: "send_text", templateKey: "", text: "", "config.variable": "", "config.workflowId": "", transitions: "", order: "", ...fields },
        { htmx: true },
      );

    const cases: { api: Record<string, unknown>; form: Record<string, string>; paths: string[] }[] = [
      // A variable name that `{{…}}` could not read.
      {
        api: { key: "ask", type: "collect_input", text: "Your name?", config: { variable: "1st name" } },
        form: { key: "ask", type: "collect_input", text: "Your name?", "config.variable": "1st name" },
        paths: ["config.variable"],
      },
      // No variable at all.
      {
        api: { key: "ask", type: "collect_input", text: "Your name?" },
        form: { key: "ask", type: "collect_input", text: "Your name?" },
        paths: ["config.variable"],
      },
      // A template and a text: one or the other.
      {
        api: { key: "hello", type: "send_text", templateKey: "menu", text: "Hi" },
        form: { key: "hello", type: "send_text", templateKey: "menu", text: "Hi" },
        paths: ["text"],
      },
      {
        api: { key: "ask", type: "collect_input", templateKey: "menu", text: "Your name?", config: { variable: "name" } },
        form: { key: "ask", type: "collect_input", templateKey: "menu", text: "Your name?", "config.variable": "name" },
        paths: ["text"],
      },
      // What the type needs: a text to send, a template to send, a workflow to hand over to, an option.
      { api: { key: "hello", type: "send_text" }, form: { key: "hello", type: "send_text" }, paths: ["text"] },
      { api: { key: "menu", type: "send_template" }, form: { key: "menu", type: "send_template" }, paths: ["templateKey"] },
      { api: { key: "agent", type: "call_workflow", config: { workflowId: "" } }, form: { key: "agent", type: "call_workflow" }, paths: ["config.workflowId"] },
      { api: { key: "pick", type: "choice", text: "1 or 2?" }, form: { key: "pick", type: "choice", text: "1 or 2?" }, paths: ["transitions"] },
      // The key's format and the order's.
      { api: { key: "Not ok", type: "end", order: -1 }, form: { key: "Not ok", type: "end", order: "-1" }, paths: ["key", "order"] },
    ];
    for (const c of cases) {
      const fromApi = await apiErrors("POST", `/v1/flows/${flowId}/steps`, key, c.api, language);
      expect(fromApi.map((e) => e.path).sort()).toEqual(c.paths);
      expect(sorted(await formErrors(await form(c.form)))).toEqual(sorted(fromApi));
    }

    // The service's rule (one key per step) reads the same from both too.
    expect((await api(app, "POST", `/v1/flows/${flowId}/steps`, key, { key: "bye", type: "end" })).status).toBe(201);
    const clash = await apiErrors("POST", `/v1/flows/${flowId}/steps`, key, { key: "bye", type: "end" }, language);
    expect(sorted(await formErrors(await form({ key: "bye", type: "end" })))).toEqual(sorted(clash));
    expect(clash[0]!.message).toBe(language === "en" ? 'A step "bye" already exists' : "Já existe uma etapa “bye”");
  });

  test("workflows: provider settings checked by the same schema", async () => {
    const { client, key } = await setupOrg(app, { scopes: ["workflows:read", "workflows:write"] });
    const fromApi = await apiErrors("POST", "/v1/workflows", key, {
      name: "Sales",
      provider: "openai",
      config: { model: "gpt-4o-mini", temperature: 5, maxTokens: 0 },
    });
    expect(fromApi.map((e) => e.path).sort()).toEqual(["config.maxTokens", "config.temperature"]);
    const fromForm = await formErrors(
      await client.postForm(
        "/workflows",
        { name: "Sales", provider: "openai", "config.model": "gpt-4o-mini", "config.temperature": "5", "config.maxTokens": "0" },
        { htmx: true },
      ),
    );
    expect(sorted(fromForm)).toEqual(sorted(fromApi));

    const astApi = await apiErrors("POST", "/v1/workflows", key, { name: "Agent", provider: "ast", config: { providerId: "not-an-id" } });
    const astForm = await formErrors(await client.postForm("/workflows", { name: "Agent", provider: "ast", "config.providerId": "not-an-id" }, { htmx: true }));
    expect(astApi.map((e) => e.path)).toEqual(["config.providerId"]);
    expect(sorted(astForm)).toEqual(sorted(astApi));
  });

  test("webhooks: the endpoint's URL and name", async () => {
    const { client, key } = await setupOrg(app, { scopes: ["webhooks:read", "webhooks:write"] });
    const body = { url: "not a url", name: "x".repeat(300) };
    const fromApi = await apiErrors("POST", "/v1/webhooks", key, body);
    expect(fromApi.map((e) => e.path).sort()).toEqual(["name", "url"]);
    const fromForm = await formErrors(await client.postForm("/webhooks", body, { htmx: true }));
    expect(sorted(fromForm)).toEqual(sorted(fromApi));
  });
});
