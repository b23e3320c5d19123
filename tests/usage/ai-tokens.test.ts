// AI tokens on the usage page and /v1/usage, and the monthly limit form.
import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { aiTokenBudget, recordAiTokens } from "@/features/usage/usage.service";
import { api } from "../helpers/client";
import { createMember, portugueseOrg, setupOrg, signIn } from "../helpers/factories";

const app = createApp();

describe("AI tokens in usage", () => {
  test("/v1/usage reports ai_tokens per day and in total", async () => {
    const { key, organization } = await setupOrg(app);
    await recordAiTokens({ organizationId: organization.id, tokens: 120 });
    await recordAiTokens({ organizationId: organization.id, tokens: 30 });
    const res = await api(app, "GET", "/v1/usage", key);
    expect(res.status).toBe(200);
    expect(res.body.metrics).toContain("ai_tokens");
    expect(res.body.totals.ai_tokens).toBe(150);
    expect(res.body.data.at(-1).ai_tokens).toBe(150);
  });

  test("the page shows this month's tokens; an admin sets and clears the limit; bad input is a 422 in the reader's language", async () => {
    const { client, organization } = await portugueseOrg(app);
    await recordAiTokens({ organizationId: organization.id, tokens: 1500 });
    const page = await (await client.get("/usage")).text();
    expect(page).toContain("Tokens de IA deste mês");
    expect(page).toMatch(/1\.500 tokens usados/);

    const bad = await client.postForm("/usage/ai-token-limit", { aiTokensPerMonth: "muitos" }, { htmx: true });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Informe um número inteiro de tokens");

    const saved = await client.postForm("/usage/ai-token-limit", { aiTokensPerMonth: "1.000" }, { htmx: true });
    expect(saved.status).toBe(204);
    expect(await aiTokenBudget(organization.id)).toMatchObject({ used: 1500, limit: 1000 });
    const over = await (await client.get("/usage")).text();
    expect(over).toContain("Limite atingido");

    expect((await client.postForm("/usage/ai-token-limit", { aiTokensPerMonth: "" }, { htmx: true })).status).toBe(204);
    expect((await aiTokenBudget(organization.id)).limit).toBeNull();
  });

  test("an agent sees the tokens but cannot set the limit", async () => {
    const { organization } = await setupOrg(app);
    const agent = await createMember(organization.id, "agent");
    const client = await signIn(app, agent.id, organization.id);
    const page = await (await client.get("/usage")).text();
    expect(page).toContain("AI tokens this month");
    expect(page).not.toContain('name="aiTokensPerMonth"');
    expect((await client.postForm("/usage/ai-token-limit", { aiTokensPerMonth: "5" }, { htmx: true })).status).toBe(403);
    expect((await aiTokenBudget(organization.id)).limit).toBeNull();
  });
});
