import { and, asc, desc, eq, isNull, or, sql } from "drizzle-orm";
import { config } from "@/config";
import { db, type DbOrTx } from "@/db/client";
import { flows, threads, conversations, workflows } from "@/db/schema";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { AppError, forbidden, validationFailed, zodDetails } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { assertPublicTarget, TargetRefused } from "@/lib/outbound";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { toolsConfigSchema, type ToolsConfig } from "@/features/tools/tool.schema";
import { unknownToolIds } from "@/features/tools/tool.service";
import { toolsForTurn, type TurnContext } from "@/features/tools/tool.runtime";
import { aiTokensAvailable, recordAiTokens } from "@/features/usage/usage.service";
import { currentInstructionsOf, currentPromptVersion, publishPromptVersion } from "@/features/prompts/prompt.service";
import { composeSystemPrompt } from "@/features/prompts/prompt.compose";
import { personaSchema } from "@/features/prompts/prompt.schema";
import { assertOwnCollections } from "@/features/knowledge/knowledge.service";
import { knowledgeForTurn, withKnowledgeInstructions, withKnowledgeTools } from "@/features/knowledge/knowledge.turn";
import type { LanguageModel } from "ai";
import { aiSdkEngine, modelFor, type LlmSettings, type LlmVendor } from "./engines/ai-sdk";
import { astEngine, listAstWorkflows } from "./engines/ast";
import { ENGINE_TIMEOUT_MS, EngineError, type AiEngine, type EngineReply, type EngineRequest } from "./engines/engine";
import { astConfigSchema, flowConfigSchema, openAiConfigSchema, type CreateWorkflowInput, type UpdateWorkflowInput } from "./workflow.schema";

export type Workflow = typeof workflows.$inferSelect;

/** Stored config: like the input, but the OpenAI key is kept encrypted as `apiKeyEnc`. */
type StoredConfig = Record<string, unknown> & { apiKeyEnc?: string };

/**
 * What the API and pages show: secrets never leave, `hasApiKey` says whether one is set. The
 * instructions are prompt versions (src/features/prompts): `prompt` is the one that answers, shown as
 * `config.systemPrompt` and `config.promptVersion` (withInstructions reads them).
 */
export function toPublicWorkflow(w: Workflow, prompt?: { version: number; instructions: string }) {
  // A `systemPrompt` still in a config of before versions is not shown: version 1 is made of it on first read.
  const { apiKeyEnc, systemPrompt: _legacy, ...rest } = w.config as StoredConfig;
  return {
    id: w.id,
    organizationId: w.organizationId,
    system: w.organizationId === null,
    provider: w.provider,
    providerId: w.providerId || null,
    name: w.name,
    description: w.description,
    config: {
      ...rest,
      ...(w.provider === "openai" ? { hasApiKey: !!apiKeyEnc, systemPrompt: prompt?.instructions ?? "", promptVersion: prompt?.version ?? null } : {}),
    },
    isActive: w.isActive,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

/** toPublicWorkflow of each, with the instructions of its current prompt version. */
export async function withInstructions(list: Workflow[]) {
  const prompts = await currentInstructionsOf(list);
  return list.map((w) => toPublicWorkflow(w, prompts.get(w.id)));
}

const configSchemaFor = { openai: openAiConfigSchema, ast: astConfigSchema, flow: flowConfigSchema } as const;

/** One spelling per endpoint, so `https://x/v1/` and `https://x/v1` are the same. */
function normalizedEndpoint(url: string): string {
  try {
    return new URL(url).href.replace(/\/+$/, "");
  } catch {
    return url;
  }
}

/** The public endpoints of the vendors whose keys the operator does not hold: a workflow brings its own. */
const VENDOR_ENDPOINTS: Record<Exclude<LlmVendor, "openai">, string> = {
  anthropic: "https://api.anthropic.com/v1",
  google: "https://generativelanguage.googleapis.com/v1beta",
};

const vendorOf = (c: Record<string, unknown>): LlmVendor => (c.vendor === "anthropic" || c.vendor === "google" ? c.vendor : "openai");

/**
 * No base URL, or OPENAI_BASE_URL itself, on an OpenAI-compatible workflow: the operator's endpoint,
 * the only one the platform key goes to. Anthropic and Google workflows always carry their own key.
 */
function usesOperatorEndpoint(baseUrl: unknown, vendor: LlmVendor = "openai"): boolean {
  if (vendor !== "openai") return false;
  return typeof baseUrl !== "string" || normalizedEndpoint(baseUrl) === normalizedEndpoint(config.openai.baseUrl);
}

/** Where a workflow's requests go: its own base URL, else its vendor's default. */
function endpointOf(c: Record<string, unknown>): string {
  const vendor = vendorOf(c);
  if (typeof c.baseUrl === "string") return c.baseUrl;
  return vendor === "openai" ? config.openai.baseUrl : VENDOR_ENDPOINTS[vendor];
}

/**
 * Validates a provider config and moves a plain `apiKey` into `apiKeyEnc` (else `keptKeyEnc` stays).
 * An `openai` workflow aimed at its own endpoint must carry its own key, and that endpoint must pass
 * the outbound guard.
 */
async function storeConfig(
  provider: Workflow["provider"],
  input: Record<string, unknown>,
  previous: { keptKeyEnc?: string; keyDroppedByMove?: boolean; endpointUnchanged?: boolean } = {},
): Promise<StoredConfig> {
  const parsed = configSchemaFor[provider].safeParse(input);
  if (!parsed.success) {
    throw validationFailed(zodDetails(parsed.error.issues).map((d) => ({ ...d, path: `config.${d.path}` })));
  }
  // The instructions are not kept in the config: they are published as a prompt version (create/update).
  const { apiKey, systemPrompt: _instructions, ...rest } = parsed.data as Record<string, unknown> & { apiKey?: string };
  const stored: StoredConfig = { ...rest };
  if (typeof apiKey === "string") stored.apiKeyEnc = encryptSecret(apiKey);
  else if (previous.keptKeyEnc) stored.apiKeyEnc = previous.keptKeyEnc;
  if (provider === "openai" && !usesOperatorEndpoint(stored.baseUrl, vendorOf(stored))) {
    if (!stored.apiKeyEnc) {
      const key = previous.keyDroppedByMove
        ? "workflows:errors.keyDroppedWithBaseUrl"
        : vendorOf(stored) === "openai"
          ? "workflows:errors.keyRequired"
          : "workflows:errors.keyRequiredVendor";
      throw validationFailed([{ path: "config.apiKey", message: tText(key) }]);
    }
    // Checked when chosen; every request checks again (guardedFetch), since DNS can change later.
    if (!previous.endpointUnchanged && typeof stored.baseUrl === "string") {
      try {
        await assertPublicTarget(String(stored.baseUrl));
      } catch (err) {
        if (err instanceof TargetRefused) throw validationFailed([{ path: "config.baseUrl", message: err.message }]);
        throw err;
      }
    }
  }
  return stored;
}

/**
 * A workflow's custom tools are the organization's own (another organization's id reads as unknown),
 * and its CEP lookup URL, a tenant-chosen target, passes the outbound guard (checked again per call).
 */
async function assertOwnTools(organizationId: string, stored: StoredConfig, tx: DbOrTx) {
  const tools = stored.tools as ToolsConfig | undefined;
  if (tools?.cepUrl) {
    try {
      await assertPublicTarget(tools.cepUrl);
    } catch (err) {
      if (err instanceof TargetRefused) throw validationFailed([{ path: "config.tools.cepUrl", message: err.message }]);
      throw err;
    }
  }
  if (!tools?.custom?.length) return;
  const unknown = await unknownToolIds(organizationId, tools.custom, tx);
  if (unknown.length > 0) {
    throw validationFailed(
      tools.custom.flatMap((id, i) => (unknown.includes(id) ? [{ path: `config.tools.custom.${i}`, message: tText("workflows:errors.toolNotFound") }] : [])),
    );
  }
}

async function assertFlowInOrganization(organizationId: string, flowId: unknown, tx: DbOrTx) {
  const [flow] = await tx
    .select({ id: flows.id })
    .from(flows)
    .where(and(eq(flows.id, String(flowId)), eq(flows.organizationId, organizationId)))
    .limit(1);
  if (!flow) throw validationFailed([{ path: "config.flowId", message: tText("workflows:errors.flowNotFound") }]);
}

/** Live flow versions of the organization, for the `flow` workflow's picker (read here so workflows need not import flows). */
export async function publishedFlowOptions(organizationId: string, tx: DbOrTx = db): Promise<{ id: string; name: string; version: number }[]> {
  return tx
    .select({ id: flows.id, name: flows.name, version: flows.version })
    .from(flows)
    .where(and(eq(flows.organizationId, organizationId), eq(flows.status, "published")))
    .orderBy(asc(flows.name), desc(flows.version));
}

/**
 * The `flow` workflow that runs a lineage (threads need a workflow): found by providerId = lineage id,
 * created on first use.
 */
export async function workflowForFlow(organizationId: string, flow: { id: string; lineageId: string; name: string }, tx: DbOrTx = db) {
  const [existing] = await tx
    .select()
    .from(workflows)
    .where(and(eq(workflows.organizationId, organizationId), eq(workflows.provider, "flow"), eq(workflows.providerId, flow.lineageId)))
    .limit(1);
  if (existing) return existing;
  const [created] = await tx
    .insert(workflows)
    .values({
      organizationId,
      provider: "flow",
      providerId: flow.lineageId,
      name: tText("flows:workflowName", { name: flow.name }),
      config: { flowId: flow.id },
    })
    .returning();
  return created!;
}

/** The organization's workflows followed by the system workflows every organization can use. */
export async function listWorkflows(organizationId: string, tx: DbOrTx = db): Promise<Workflow[]> {
  return tx
    .select()
    .from(workflows)
    .where(or(eq(workflows.organizationId, organizationId), isNull(workflows.organizationId)))
    .orderBy(sql`${workflows.organizationId} is null`, asc(workflows.name), asc(workflows.id));
}

/** A workflow the organization may use (its own or a system one); anything else is 404. */
export async function getWorkflow(organizationId: string, id: string, tx: DbOrTx = db): Promise<Workflow> {
  const [w] = await tx
    .select()
    .from(workflows)
    .where(and(eq(workflows.id, id), or(eq(workflows.organizationId, organizationId), isNull(workflows.organizationId))))
    .limit(1);
  if (!w) throw new AppError("not_found", tText("workflows:errors.workflowNotFound"));
  return w;
}

/** Like getWorkflow, but system workflows are read-only (403). */
async function getEditableWorkflow(organizationId: string, id: string, tx: DbOrTx): Promise<Workflow> {
  const w = await getWorkflow(organizationId, id, tx);
  if (w.organizationId === null) throw forbidden(tText("workflows:errors.systemReadOnly"));
  return w;
}

export async function createWorkflow(caller: Caller, input: CreateWorkflowInput, tx?: DbOrTx): Promise<Workflow> {
  const organizationId = organizationOf(caller);
  if (input.provider === "flow") await assertFlowInOrganization(organizationId, input.config.flowId, tx ?? db);
  // Checked (and the endpoint resolved) before the transaction opens: no connection waits on DNS.
  const stored = await storeConfig(input.provider, input.config as Record<string, unknown>);
  await assertOwnTools(organizationId, stored, tx ?? db);
  await assertOwnCollections(organizationId, stored.knowledgeCollectionIds, tx ?? db);
  return inTransaction(tx, async (tx) => {
    const [w] = await tx
      .insert(workflows)
      .values({
        organizationId,
        provider: input.provider,
        providerId: input.provider === "ast" ? input.config.providerId : "",
        name: input.name,
        description: input.description ?? null,
        config: stored,
        isActive: input.isActive ?? true,
      })
      .returning();
    await auditChange(tx, organizationId, caller, "workflow.created", { type: "workflow", id: w!.id }, { name: w!.name, provider: w!.provider });
    const instructions = (input.config as { systemPrompt?: string }).systemPrompt;
    if (input.provider === "openai" && instructions?.trim()) {
      await publishPromptVersion(caller, w!.id, { instructions, changelog: tText("prompts:changelog.created"), source: "settings" }, tx);
    }
    return w!;
  });
}

export async function updateWorkflow(caller: Caller, id: string, patch: UpdateWorkflowInput, tx?: DbOrTx): Promise<Workflow> {
  const organizationId = organizationOf(caller);
  const current = await getEditableWorkflow(organizationId, id, tx ?? db);
  const previous = current.config as StoredConfig;
  let config = previous;
  if (patch.config) {
    const { apiKeyEnc: _, ...visible } = previous;
    const merged: Record<string, unknown> = { ...visible, ...patch.config };
    // `baseUrl: null` goes back to OPENAI_BASE_URL; `apiKey: null` removes the stored key.
    if (merged.baseUrl === null) delete merged.baseUrl;
    if (merged.apiKey === null) delete merged.apiKey;
    // `systemPrompt: null` publishes empty instructions (below); the config never keeps it.
    if (merged.systemPrompt === null) delete merged.systemPrompt;
    if (current.provider === "flow" && patch.config.flowId !== undefined) await assertFlowInOrganization(organizationId, patch.config.flowId, tx ?? db);
    // A stored key belongs to the endpoint it was given for: moving the endpoint drops it, or
    // whoever can edit the workflow could send it to a server of their own.
    // The vendor counts as part of the endpoint: switching it drops the key as moving the URL does.
    const sameEndpoint =
      vendorOf(merged) === vendorOf(previous) &&
      (usesOperatorEndpoint(merged.baseUrl, vendorOf(merged))
        ? usesOperatorEndpoint(previous.baseUrl, vendorOf(previous))
        : normalizedEndpoint(endpointOf(previous)) === normalizedEndpoint(endpointOf(merged)));
    const cleared = patch.config.apiKey === null;
    config = await storeConfig(current.provider, merged, {
      keptKeyEnc: sameEndpoint && !cleared ? previous.apiKeyEnc : undefined,
      keyDroppedByMove: !sameEndpoint && !cleared && !!previous.apiKeyEnc,
      endpointUnchanged: sameEndpoint,
    });
    await assertOwnTools(organizationId, config, tx ?? db);
    await assertOwnCollections(organizationId, config.knowledgeCollectionIds, tx ?? db, previous.knowledgeCollectionIds);
  }
  return inTransaction(tx, async (tx) => {
    // A config of before prompt versions becomes version 1 before its `systemPrompt` is dropped.
    const previousPrompt = current.provider === "openai" ? await currentPromptVersion(current, tx) : null;
    const [w] = await tx
      .update(workflows)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.isActive !== undefined ? { isActive: patch.isActive } : {}),
        ...(current.provider === "ast" && typeof config.providerId === "string" ? { providerId: config.providerId } : {}),
        config,
      })
      .where(and(eq(workflows.id, id), eq(workflows.organizationId, organizationId)))
      .returning();
    // Names of what changed, never values: a config may carry an API key.
    const fields = Object.keys(patch).filter((k) => k !== "config");
    await auditChange(
      tx,
      organizationId,
      caller,
      "workflow.updated",
      { type: "workflow", id },
      { name: w!.name, fields, config: patch.config ? Object.keys(patch.config) : [] },
    );
    // Instructions typed in the settings (or PATCHed) are published as the next version when they changed.
    const instructions = patch.config?.systemPrompt;
    if (current.provider === "openai" && (typeof instructions === "string" || instructions === null)) {
      const text = instructions ?? "";
      if (text !== (previousPrompt?.instructions ?? "")) {
        await publishPromptVersion(caller, id, { instructions: text, changelog: tText("prompts:changelog.settings"), source: "settings" }, tx);
      }
    }
    return w!;
  });
}

export async function deleteWorkflow(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const w = await getEditableWorkflow(organizationId, id, tx);
    await tx.delete(workflows).where(and(eq(workflows.id, id), eq(workflows.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "workflow.deleted", { type: "workflow", id }, { name: w.name, provider: w.provider });
  });
}

/**
 * Imports the AST service's workflows into the organization: new ones are created, known ones
 * (same `wf_…` id) get their cached name and description refreshed.
 */
export async function importAstWorkflows(caller: Caller): Promise<{ created: number; updated: number }> {
  const organizationId = organizationOf(caller);
  if (!config.ast.url)
    throw new AppError("validation_failed", tText("workflows:errors.astNotConfigured"), [
      { path: "AST_URL", message: tText("workflows:errors.notConfigured") },
    ]);
  let listed: Awaited<ReturnType<typeof listAstWorkflows>>;
  try {
    listed = await listAstWorkflows(config.ast.url, config.ast.secret);
  } catch (err) {
    throw new AppError("provider_error", err instanceof EngineError ? err.message : tText("workflows:errors.astUnreachable"));
  }
  return db.transaction(async (tx) => {
    let created = 0;
    let updated = 0;
    for (const item of listed) {
      const [existing] = await tx
        .select()
        .from(workflows)
        .where(and(eq(workflows.organizationId, organizationId), eq(workflows.provider, "ast"), eq(workflows.providerId, item.id)))
        .limit(1);
      if (existing) {
        await tx
          .update(workflows)
          .set({ name: item.name, description: item.description ?? null })
          .where(eq(workflows.id, existing.id));
        updated++;
      } else {
        await tx.insert(workflows).values({
          organizationId,
          provider: "ast",
          providerId: item.id,
          name: item.name,
          description: item.description ?? null,
          config: { providerId: item.id },
        });
        created++;
      }
    }
    await auditChange(
      tx,
      organizationId,
      caller,
      "workflow.imported",
      { type: "organization", id: organizationId },
      { source: "ast", created, updated, providerIds: listed.map((i) => i.id) },
    );
    return { created, updated };
  });
}

/** The model settings of an AI workflow; the platform key only ever goes to the platform endpoint. */
export function llmSettingsOf(w: Workflow, timeoutMs: number): LlmSettings {
  const c = w.config as StoredConfig;
  const vendor = vendorOf(c);
  // Whatever was stored before these rules: the operator key is lent only to the operator endpoint.
  const operatorEndpoint = usesOperatorEndpoint(c.baseUrl, vendor);
  const apiKey = c.apiKeyEnc ? decryptSecret(c.apiKeyEnc) : operatorEndpoint ? config.openai.apiKey : undefined;
  if (!apiKey && !operatorEndpoint) throw new EngineError(tText("workflows:engine.needsOwnKey"));
  const tools = toolsConfigSchema.safeParse(c.tools ?? {});
  return {
    vendor,
    baseUrl: operatorEndpoint ? config.openai.baseUrl : endpointOf(c),
    operatorConfigured: operatorEndpoint,
    apiKey,
    model: String(c.model ?? ""),
    temperature: typeof c.temperature === "number" ? c.temperature : undefined,
    maxTokens: typeof c.maxTokens === "number" ? c.maxTokens : undefined,
    timeoutMs,
    maxSteps: tools.success ? tools.data.maxSteps : 1,
  };
}

/**
 * Where a turn happens, from the thread the engine was handed (by its provider thread id, which
 * every caller passes): the organization, contact and conversation its tools act on.
 */
async function turnContextOf(w: Workflow, providerThreadId: string): Promise<(Omit<TurnContext, "organizationId"> & { organizationId: string | null }) | null> {
  const [row] = await db
    .select({
      id: threads.id,
      organizationId: threads.organizationId,
      contactId: threads.contactId,
      conversationId: threads.conversationId,
      instanceId: conversations.instanceId,
    })
    .from(threads)
    .leftJoin(conversations, eq(conversations.id, threads.conversationId))
    .where(and(eq(threads.providerThreadId, providerThreadId), eq(threads.workflowId, w.id)))
    .limit(1);
  if (!row) return null;
  return { ...row, threadId: row.id, workflowId: w.id };
}

/** Built-in tools a member's direct chat with the agent may run: they act on no customer. */
export const DIRECT_CHAT_TOOLS: readonly string[] = ["cep_lookup", "search_knowledge"];

/**
 * A member's direct chat (agent-chats) has no thread, contact or conversation. Its tools are only those
 * that act on no customer (DIRECT_CHAT_TOOLS): no hand-off, contact fields, tags, leads, complaints,
 * promises, follow-ups or sends, and no custom HTTP tools (set up for customers' turns, they may change
 * things elsewhere). Its tokens are checked and metered for its organization like any turn.
 */
function directTurnContext(w: Workflow, organizationId: string): TurnContext {
  return { organizationId, workflowId: w.id, threadId: null, contactId: null, conversationId: null, instanceId: null };
}

const directChatTools = (c: ToolsConfig): ToolsConfig => ({ ...c, builtin: c.builtin.filter((t) => DIRECT_CHAT_TOOLS.includes(t)), custom: [] });

/** Built-in tools that send to the contact: a drafted reply waits for an agent, so its turn may not send behind the agent's back. */
export const CONTACT_SENDING_TOOLS: readonly string[] = ["send_template", "send_media"];
const draftTools = (c: ToolsConfig): ToolsConfig => ({ ...c, builtin: c.builtin.filter((t) => !CONTACT_SENDING_TOOLS.includes(t)) });

function turnTools(c: ToolsConfig, request: EngineRequest): ToolsConfig {
  if (request.direct) return directChatTools(c);
  return request.draft ? draftTools(c) : c;
}

/**
 * An AI workflow's engine for one turn: the organization's monthly token limit is checked before the
 * model is called (past it, the turn fails like a provider error and takes the fallback path), the
 * workflow's tools are bound to the thread, and the tokens the turn used are metered.
 */
function aiWorkflowEngine(w: Workflow, settings: LlmSettings): AiEngine {
  const toolsConfig = toolsConfigSchema.safeParse((w.config as StoredConfig).tools ?? {});
  const persona = personaSchema.safeParse((w.config as StoredConfig).persona ?? {});
  const prepare = async (request: EngineRequest) => {
    const ctx = request.direct ? directTurnContext(w, request.direct.organizationId) : await turnContextOf(w, request.providerThreadId);
    const organizationId = ctx?.organizationId ?? null;
    if (organizationId && !(await aiTokensAvailable(organizationId))) throw new EngineError(tText("workflows:engine.tokenLimit"));
    // The published version answers: persona, then its instructions, then memory's summary.
    const prompt = await currentPromptVersion(w);
    const systemPrompt = composeSystemPrompt({ persona: persona.success ? persona.data : null, instructions: prompt?.instructions, summary: request.summary });
    const toolConfig = toolsConfig.success ? turnTools(toolsConfig.data, request) : null;
    const tools =
      ctx && organizationId && toolConfig && (toolConfig.builtin.length > 0 || toolConfig.custom.length > 0)
        ? await toolsForTurn(toolConfig, { ...ctx, organizationId })
        : undefined;
    // Passages of the attached knowledge collections for this message, and the search_knowledge tool.
    const knowledge = ctx && organizationId ? await knowledgeForTurn({ ...ctx, organizationId }, w.config, request.text, request.signal) : null;
    return {
      engine: aiSdkEngine({ ...settings, systemPrompt: withKnowledgeInstructions(systemPrompt, knowledge) }, withKnowledgeTools(tools, knowledge)),
      organizationId,
      instanceId: ctx?.instanceId ?? null,
      promptVersion: prompt?.version,
    };
  };
  const meter = (turn: { organizationId: string | null; instanceId: string | null }, tokens: number | undefined) =>
    recordAiTokens({ organizationId: turn.organizationId, instanceId: turn.instanceId, tokens: tokens ?? 0 });
  /** A failed turn's tokens count too (the steps before the failure were paid for). */
  const meterFailure = async (turn: Parameters<typeof meter>[0], err: unknown) => {
    if (err instanceof EngineError && err.tokensUsed) await meter(turn, err.tokensUsed);
  };
  return {
    async complete(request) {
      const turn = await prepare(request);
      try {
        const reply = await turn.engine.complete(request);
        await meter(turn, reply.tokens);
        return { ...reply, promptVersion: turn.promptVersion };
      } catch (err) {
        await meterFailure(turn, err);
        throw err;
      }
    },
    async *stream(request): AsyncGenerator<string, EngineReply> {
      const turn = await prepare(request);
      try {
        const reply = yield* turn.engine.stream(request);
        await meter(turn, reply.tokens);
        return { ...reply, promptVersion: turn.promptVersion };
      } catch (err) {
        await meterFailure(turn, err);
        throw err;
      }
    },
  };
}

/**
 * An AI workflow's connection (vendor, endpoint, key — the same rules as its turns) as an AI SDK model
 * for one-off calls outside a turn (HITL prompt suggestions, sentiment classification); `model`
 * overrides the workflow's model name (a cheaper one).
 */
export function workflowLanguageModel(w: Workflow, opts: { model?: string | null; timeoutMs: number }): LanguageModel {
  if (w.provider !== "openai") throw new EngineError(tText("workflows:engine.flowNotAi"));
  const settings = llmSettingsOf(w, opts.timeoutMs);
  return modelFor({ ...settings, model: opts.model || settings.model });
}

/** The AI engine that answers for an `openai` or `ast` workflow. */
export function engineFor(w: Workflow, timeoutMs = ENGINE_TIMEOUT_MS): AiEngine {
  if (w.provider === "openai") return aiWorkflowEngine(w, llmSettingsOf(w, timeoutMs));
  if (w.provider === "ast") {
    if (!config.ast.url) throw new EngineError(tText("workflows:errors.astNotConfigured"));
    return astEngine({ url: config.ast.url, secret: config.ast.secret, workflowId: w.providerId, timeoutMs });
  }
  throw new EngineError(tText("workflows:engine.flowNotAi"));
}
