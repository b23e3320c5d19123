import { and, asc, desc, eq, isNull, or, sql } from "drizzle-orm";
import { config } from "@/config";
import { db, type DbOrTx } from "@/db/client";
import { flows, workflows } from "@/db/schema";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { AppError, forbidden, validationFailed, zodDetails } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { assertPublicTarget, TargetRefused } from "@/lib/outbound";
import { auditChange, bySystem, inTransaction, type AuditBy } from "@/features/audit/audit.service";
import { astEngine, listAstWorkflows } from "./engines/ast";
import { ENGINE_TIMEOUT_MS, EngineError, type AiEngine } from "./engines/engine";
import { openAiEngine } from "./engines/openai";
import { astConfigSchema, flowConfigSchema, openAiConfigSchema, type CreateWorkflowInput, type UpdateWorkflowInput } from "./workflow.schema";

export type Workflow = typeof workflows.$inferSelect;

/** Stored config: like the input, but the OpenAI key is kept encrypted as `apiKeyEnc`. */
type StoredConfig = Record<string, unknown> & { apiKeyEnc?: string };

/** What the API and pages show: secrets never leave, `hasApiKey` says whether one is set. */
export function toPublicWorkflow(w: Workflow) {
  const { apiKeyEnc, ...rest } = w.config as StoredConfig;
  return {
    id: w.id,
    organizationId: w.organizationId,
    system: w.organizationId === null,
    provider: w.provider,
    providerId: w.providerId || null,
    name: w.name,
    description: w.description,
    config: { ...rest, ...(w.provider === "openai" ? { hasApiKey: !!apiKeyEnc } : {}) },
    isActive: w.isActive,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
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

/** No base URL, or OPENAI_BASE_URL itself: the operator's endpoint, the only one the platform key goes to. */
function usesOperatorEndpoint(baseUrl: unknown): boolean {
  return typeof baseUrl !== "string" || normalizedEndpoint(baseUrl) === normalizedEndpoint(config.openai.baseUrl);
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
  const { apiKey, ...rest } = parsed.data as Record<string, unknown> & { apiKey?: string };
  const stored: StoredConfig = { ...rest };
  if (typeof apiKey === "string") stored.apiKeyEnc = encryptSecret(apiKey);
  else if (previous.keptKeyEnc) stored.apiKeyEnc = previous.keptKeyEnc;
  if (provider === "openai" && !usesOperatorEndpoint(stored.baseUrl)) {
    if (!stored.apiKeyEnc) {
      const message = tText(previous.keyDroppedByMove ? "workflows:errors.keyDroppedWithBaseUrl" : "workflows:errors.keyRequired");
      throw validationFailed([{ path: "config.apiKey", message }]);
    }
    // Checked when chosen; every request checks again (guardedFetch), since DNS can change later.
    if (!previous.endpointUnchanged) {
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

export async function createWorkflow(organizationId: string, input: CreateWorkflowInput, who: AuditBy = bySystem, tx?: DbOrTx): Promise<Workflow> {
  if (input.provider === "flow") await assertFlowInOrganization(organizationId, input.config.flowId, tx ?? db);
  // Checked (and the endpoint resolved) before the transaction opens: no connection waits on DNS.
  const stored = await storeConfig(input.provider, input.config as Record<string, unknown>);
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
    await auditChange(tx, organizationId, who, "workflow.created", { type: "workflow", id: w!.id }, { name: w!.name, provider: w!.provider });
    return w!;
  });
}

export async function updateWorkflow(organizationId: string, id: string, patch: UpdateWorkflowInput, who: AuditBy = bySystem, tx?: DbOrTx): Promise<Workflow> {
  const current = await getEditableWorkflow(organizationId, id, tx ?? db);
  const previous = current.config as StoredConfig;
  let config = previous;
  if (patch.config) {
    const { apiKeyEnc: _, ...visible } = previous;
    const merged: Record<string, unknown> = { ...visible, ...patch.config };
    // `baseUrl: null` goes back to OPENAI_BASE_URL; `apiKey: null` removes the stored key.
    if (merged.baseUrl === null) delete merged.baseUrl;
    if (merged.apiKey === null) delete merged.apiKey;
    if (current.provider === "flow" && patch.config.flowId !== undefined) await assertFlowInOrganization(organizationId, patch.config.flowId, tx ?? db);
    // A stored key belongs to the endpoint it was given for: moving the endpoint drops it, or
    // whoever can edit the workflow could send it to a server of their own.
    const sameEndpoint = usesOperatorEndpoint(merged.baseUrl)
      ? usesOperatorEndpoint(previous.baseUrl)
      : typeof previous.baseUrl === "string" && normalizedEndpoint(previous.baseUrl) === normalizedEndpoint(String(merged.baseUrl));
    const cleared = patch.config.apiKey === null;
    config = await storeConfig(current.provider, merged, {
      keptKeyEnc: sameEndpoint && !cleared ? previous.apiKeyEnc : undefined,
      keyDroppedByMove: !sameEndpoint && !cleared && !!previous.apiKeyEnc,
      endpointUnchanged: sameEndpoint,
    });
  }
  return inTransaction(tx, async (tx) => {
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
      who,
      "workflow.updated",
      { type: "workflow", id },
      { name: w!.name, fields, config: patch.config ? Object.keys(patch.config) : [] },
    );
    return w!;
  });
}

export async function deleteWorkflow(organizationId: string, id: string, who: AuditBy = bySystem, tx?: DbOrTx): Promise<void> {
  await inTransaction(tx, async (tx) => {
    const w = await getEditableWorkflow(organizationId, id, tx);
    await tx.delete(workflows).where(and(eq(workflows.id, id), eq(workflows.organizationId, organizationId)));
    await auditChange(tx, organizationId, who, "workflow.deleted", { type: "workflow", id }, { name: w.name, provider: w.provider });
  });
}

/**
 * Imports the AST service's workflows into the organization: new ones are created, known ones
 * (same `wf_…` id) get their cached name and description refreshed.
 */
export async function importAstWorkflows(organizationId: string, who: AuditBy = bySystem): Promise<{ created: number; updated: number }> {
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
      who,
      "workflow.imported",
      { type: "organization", id: organizationId },
      { source: "ast", created, updated, providerIds: listed.map((i) => i.id) },
    );
    return { created, updated };
  });
}

/** The AI engine that answers for an `openai` or `ast` workflow. */
export function engineFor(w: Workflow, timeoutMs = ENGINE_TIMEOUT_MS): AiEngine {
  const c = w.config as StoredConfig;
  if (w.provider === "openai") {
    // The platform key only ever goes to the platform endpoint, whatever was stored before these rules.
    const operatorEndpoint = usesOperatorEndpoint(c.baseUrl);
    const apiKey = c.apiKeyEnc ? decryptSecret(c.apiKeyEnc) : operatorEndpoint ? config.openai.apiKey : undefined;
    if (!apiKey && !operatorEndpoint) throw new EngineError(tText("workflows:engine.needsOwnKey"));
    return openAiEngine({
      baseUrl: operatorEndpoint ? config.openai.baseUrl : String(c.baseUrl),
      operatorConfigured: operatorEndpoint,
      apiKey,
      model: String(c.model ?? ""),
      temperature: typeof c.temperature === "number" ? c.temperature : undefined,
      maxTokens: typeof c.maxTokens === "number" ? c.maxTokens : undefined,
      systemPrompt: typeof c.systemPrompt === "string" ? c.systemPrompt : undefined,
      timeoutMs,
    });
  }
  if (w.provider === "ast") {
    if (!config.ast.url) throw new EngineError(tText("workflows:errors.astNotConfigured"));
    return astEngine({ url: config.ast.url, secret: config.ast.secret, workflowId: w.providerId, timeoutMs });
  }
  throw new EngineError(tText("workflows:engine.flowNotAi"));
}
