// Prompt suggestions: generated from learning events with AI SDK structured output (json_schema of the
// zod schema) by the workflow's model, reviewed by a person: applied as a new prompt version, or rejected.
import { afterAll, describe, expect, test } from "bun:test";
import { and, eq, isNull } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, learningEvents, promptSuggestions, promptVersions, usageDaily } from "@/db/schema";
import { publishPromptVersion } from "@/features/prompts/prompt.service";
import { runAutoPromptSuggestions } from "@/features/suggestions/prompt-suggestion.service";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { systemCaller } from "@/lib/caller";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startModelServer } from "./model-server";

const model = startModelServer();
config.openai.baseUrl = model.baseUrl;
afterAll(() => model.stop());

const app = createApp();

const PROPOSAL = {
  problemIdentified: "The assistant promises cancellations it cannot do.",
  rootCauseAnalysis: "The instructions never say that cancellations are handled by a person.",
  suggestedPrompt: "Be brief.\nNever cancel accounts: hand the customer to a person.",
  changelog: "Cancellations go to a person",
  confidence: 0.8,
};

async function setup() {
  const org = await setupOrg(app);
  const orgId = org.organization.id;
  const workflow = await createWorkflow(systemCaller("test", orgId), { name: "Support", provider: "openai", config: { model: "gpt-test" } as never });
  await publishPromptVersion(systemCaller("test", orgId), workflow.id, { instructions: "Be brief.", changelog: "first", source: "api" });
  return { ...org, orgId, workflow };
}

async function addEvents(orgId: string, workflowId: string, n: number) {
  await db.insert(learningEvents).values(
    Array.from({ length: n }, (_, i) => ({
      organizationId: orgId,
      workflowId,
      eventType: i % 2 === 0 ? ("discarded" as const) : ("explicit_correction" as const),
      userMessage: `cancel my account ${i}`,
      aiResponse: "Done, your account is cancelled.",
      correctResponse: i % 2 === 0 ? null : "A colleague will help you with the cancellation.",
      feedback: i % 2 === 0 ? "We never cancel by chat" : null,
    })),
  );
}

describe("prompt suggestions", () => {
  test("generated from the events with a json_schema request; applied → a new prompt version with the changelog", async () => {
    const s = await setup();
    await addEvents(s.orgId, s.workflow.id, 3);
    model.state.object = () => PROPOSAL;
    const created = await api(app, "POST", "/v1/prompt-suggestions", s.key, { workflowId: s.workflow.id });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "pending", origin: "manual", currentPrompt: "Be brief.", eventCount: 3, ...PROPOSAL });
    expect(created.body.tokens).toBe(42);

    // Structured output: the zod schema reached the model as response_format json_schema.
    const request = model.structured().at(-1);
    expect(request.response_format.json_schema.schema.required).toEqual(
      expect.arrayContaining(["problemIdentified", "rootCauseAnalysis", "suggestedPrompt", "changelog", "confidence"]),
    );
    const prompt = JSON.stringify(request.messages);
    expect(prompt).toContain("Be brief.");
    expect(prompt).toContain("We never cancel by chat");
    expect(prompt).toContain("A colleague will help you with the cancellation.");
    // The events it analysed are linked to it; none is left for the next one.
    const open = await db
      .select()
      .from(learningEvents)
      .where(and(eq(learningEvents.workflowId, s.workflow.id), isNull(learningEvents.promptSuggestionId)));
    expect(open).toHaveLength(0);
    const again = await api(app, "POST", "/v1/prompt-suggestions", s.key, { workflowId: s.workflow.id });
    expect(again.status).toBe(422);
    // Tokens are metered with the organization's AI usage.
    const usage = await db
      .select()
      .from(usageDaily)
      .where(and(eq(usageDaily.organizationId, s.orgId), eq(usageDaily.metric, "ai_tokens")));
    expect(usage.reduce((sum, u) => sum + Number(u.count), 0)).toBeGreaterThanOrEqual(42);

    const applied = await api(app, "POST", `/v1/prompt-suggestions/${created.body.id}/apply`, s.key, {});
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ status: "applied", appliedVersion: 2 });
    const [v2] = await db
      .select()
      .from(promptVersions)
      .where(and(eq(promptVersions.workflowId, s.workflow.id), eq(promptVersions.version, 2)));
    expect(v2).toMatchObject({ instructions: PROPOSAL.suggestedPrompt, changelog: PROPOSAL.changelog, source: "suggestion" });
    expect((await api(app, "POST", `/v1/prompt-suggestions/${created.body.id}/apply`, s.key, {})).status).toBe(409);
    const actions = (await db.select().from(auditLogs).where(eq(auditLogs.organizationId, s.orgId))).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["prompt_suggestion.generated", "prompt_suggestion.applied", "prompt.published"]));
  });

  test("rejected with a note; applying after the live instructions changed is refused; another organization's is 404", async () => {
    const s = await setup();
    await addEvents(s.orgId, s.workflow.id, 2);
    model.state.object = () => PROPOSAL;
    const first = await api(app, "POST", "/v1/prompt-suggestions", s.key, { workflowId: s.workflow.id });
    const noNote = await api(app, "POST", `/v1/prompt-suggestions/${first.body.id}/reject`, s.key, {});
    expect(noNote.status).toBe(422);
    const rejected = await api(app, "POST", `/v1/prompt-suggestions/${first.body.id}/reject`, s.key, { note: "Cancellations are allowed for premium" });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: "rejected", reviewNotes: "Cancellations are allowed for premium" });
    expect((await api(app, "POST", `/v1/prompt-suggestions/${first.body.id}/apply`, s.key, {})).status).toBe(409);

    await addEvents(s.orgId, s.workflow.id, 2);
    const second = await api(app, "POST", "/v1/prompt-suggestions", s.key, { workflowId: s.workflow.id });
    await publishPromptVersion(systemCaller("test", s.orgId), s.workflow.id, { instructions: "Be very brief.", changelog: "manual", source: "api" });
    const stale = await api(app, "POST", `/v1/prompt-suggestions/${second.body.id}/apply`, s.key, {});
    expect(stale.status).toBe(409);

    const stranger = await setupOrg(app);
    expect((await api(app, "GET", `/v1/prompt-suggestions/${second.body.id}`, stranger.key)).status).toBe(404);
    expect((await api(app, "POST", `/v1/prompt-suggestions/${second.body.id}/reject`, stranger.key, { note: "x" })).status).toBe(404);
    // Another organization's workflow is not one to analyse.
    const foreign = await api(app, "POST", "/v1/prompt-suggestions", stranger.key, { workflowId: s.workflow.id });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details[0].path).toBe("workflowId");
    const listed = await api(app, "GET", "/v1/prompt-suggestions?status=rejected", s.key);
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([first.body.id]);
  });

  test("a model answer that breaks the schema fails cleanly (502) and leaves the events for the next try", async () => {
    const s = await setup();
    await addEvents(s.orgId, s.workflow.id, 1);
    model.state.object = () => ({ problemIdentified: "x", confidence: 7 });
    const failed = await api(app, "POST", "/v1/prompt-suggestions", s.key, { workflowId: s.workflow.id });
    expect(failed.status).toBe(502);
    expect(await db.select().from(promptSuggestions).where(eq(promptSuggestions.workflowId, s.workflow.id))).toHaveLength(0);
    const open = await db
      .select()
      .from(learningEvents)
      .where(and(eq(learningEvents.workflowId, s.workflow.id), isNull(learningEvents.promptSuggestionId)));
    expect(open).toHaveLength(1);
  });

  test("the periodic worker suggests by itself once a workflow has enough events, once", async () => {
    const s = await setup();
    await addEvents(s.orgId, s.workflow.id, 4);
    model.state.object = () => PROPOSAL;
    await runAutoPromptSuggestions();
    expect(await db.select().from(promptSuggestions).where(eq(promptSuggestions.workflowId, s.workflow.id))).toHaveLength(0);
    await addEvents(s.orgId, s.workflow.id, 1);
    await runAutoPromptSuggestions();
    const made = await db.select().from(promptSuggestions).where(eq(promptSuggestions.workflowId, s.workflow.id));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ origin: "auto", status: "pending", eventCount: 5 });
    // One waits for review: no second one, whatever arrives meanwhile.
    await addEvents(s.orgId, s.workflow.id, 6);
    await runAutoPromptSuggestions();
    expect(await db.select().from(promptSuggestions).where(eq(promptSuggestions.workflowId, s.workflow.id))).toHaveLength(1);
  });
});
