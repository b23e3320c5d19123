import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { flowSteps, flows, templates, workflows, type FollowUpStage } from "@/db/schema";
import { AppError, conflict, validationFailed, zodDetails, type FieldError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { FLOW_LIMITS, flowStepSchema, type FlowStepInput } from "./flow.schema";

export type Flow = typeof flows.$inferSelect;
export type FlowStep = typeof flowSteps.$inferSelect;

export const stepNotFound = () => new AppError("not_found", tText("flows:errors.stepNotFound"));

/** Steps in execution order: the first one is where a run starts. */
export function orderSteps<T extends { order: number; key: string }>(steps: T[]): T[] {
  return [...steps].sort((a, b) => a.order - b.order || a.key.localeCompare(b.key));
}

/** The step a step falls through to when no transition applies: `*`, else the next by order. */
export function defaultNext(steps: FlowStep[], step: FlowStep): string | undefined {
  if (step.transitions["*"]) return step.transitions["*"];
  const ordered = orderSteps(steps);
  return ordered[ordered.findIndex((s) => s.key === step.key) + 1]?.key;
}

/** Whether a run ends at this step (nothing after it is reachable by falling through). */
const TERMINAL = new Set(["handoff", "call_workflow", "end"]);

/**
 * Problems that stop a flow from being published: no steps, transitions to missing steps, steps no
 * path reaches, and steps missing what their type needs.
 */
export async function validateFlow(organizationId: string, steps: FlowStep[], tx: DbOrTx = db): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  if (steps.length === 0) return [{ path: "steps", message: tText("flows:problems.noSteps") }];
  const keys = new Set(steps.map((s) => s.key));
  for (const step of steps) {
    for (const [answer, target] of Object.entries(step.transitions)) {
      if (!keys.has(target))
        errors.push({ path: `steps.${step.key}.transitions.${answer}`, message: tText("flows:problems.missingTarget", { step: step.key, target }) });
    }
    // What the step's type needs: the same schema that checked it when saved (a row saved before a rule existed is caught here).
    const { id: _id, flowId: _flowId, ...input } = step;
    const parsed = flowStepSchema.safeParse(input);
    if (!parsed.success) {
      for (const e of zodDetails(parsed.error.issues))
        errors.push({ path: `steps.${step.key}.${e.path}`, message: tText("flows:problems.stepRule", { step: step.key, message: e.message }) });
    }
  }
  const templateKeys = [...new Set(steps.map((s) => s.templateKey).filter((k): k is string => !!k))];
  if (templateKeys.length) {
    const found = await tx
      .select({ key: templates.key })
      .from(templates)
      .where(and(eq(templates.organizationId, organizationId), inArray(templates.key, templateKeys)));
    const have = new Set(found.map((f) => f.key));
    for (const step of steps)
      if (step.templateKey && !have.has(step.templateKey))
        errors.push({ path: `steps.${step.key}.templateKey`, message: tText("flows:problems.missingTemplate", { key: step.templateKey }) });
  }
  const workflowIds = steps.map((s) => s.config.workflowId).filter((w): w is string => typeof w === "string");
  if (workflowIds.length) {
    const valid = workflowIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    const found = valid.length
      ? await tx
          .select({ id: workflows.id })
          .from(workflows)
          .where(and(inArray(workflows.id, valid), eq(workflows.organizationId, organizationId)))
      : [];
    const have = new Set(found.map((f) => f.id));
    for (const step of steps) {
      const id = step.config.workflowId;
      if (typeof id === "string" && !have.has(id))
        errors.push({ path: `steps.${step.key}.config.workflowId`, message: tText("flows:problems.missingWorkflow", { step: step.key }) });
    }
  }
  // Reachability from the first step through transitions and fall-through.
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const seen = new Set<string>();
  const queue = [orderSteps(steps)[0]!.key];
  while (queue.length) {
    const key = queue.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const step = byKey.get(key);
    if (!step) continue;
    for (const target of Object.values(step.transitions)) queue.push(target);
    if (!TERMINAL.has(step.type)) {
      const next = defaultNext(steps, step);
      if (next) queue.push(next);
    }
  }
  for (const step of steps)
    if (!seen.has(step.key)) errors.push({ path: `steps.${step.key}`, message: tText("flows:problems.unreachable", { step: step.key }) });
  return errors;
}

export async function listFlows(organizationId: string, tx: DbOrTx = db) {
  const rows = await tx.select().from(flows).where(eq(flows.organizationId, organizationId)).orderBy(asc(flows.name), desc(flows.version));
  // One line per lineage: its newest version, plus which version is live.
  const byLineage = new Map<string, { latest: Flow; published?: Flow }>();
  for (const f of rows) {
    const entry = byLineage.get(f.lineageId) ?? { latest: f };
    if (f.version > entry.latest.version) entry.latest = f;
    if (f.status === "published") entry.published = f;
    byLineage.set(f.lineageId, entry);
  }
  return [...byLineage.values()];
}

/** Every version of every flow of the organization (to name the flow a trigger points at). */
export async function listFlowVersions(organizationId: string, tx: DbOrTx = db): Promise<Flow[]> {
  return tx.select().from(flows).where(eq(flows.organizationId, organizationId)).orderBy(asc(flows.name), desc(flows.version));
}

export async function getFlow(organizationId: string, id: string, tx: DbOrTx = db): Promise<Flow> {
  const [f] = await tx
    .select()
    .from(flows)
    .where(and(eq(flows.id, id), eq(flows.organizationId, organizationId)))
    .limit(1);
  if (!f) throw new AppError("not_found", tText("flows:errors.notFound"));
  return f;
}

export async function getSteps(flowId: string, tx: DbOrTx = db): Promise<FlowStep[]> {
  return orderSteps(await tx.select().from(flowSteps).where(eq(flowSteps.flowId, flowId)));
}

export async function versionsOf(organizationId: string, lineageId: string, tx: DbOrTx = db): Promise<Flow[]> {
  return tx
    .select()
    .from(flows)
    .where(and(eq(flows.organizationId, organizationId), eq(flows.lineageId, lineageId)))
    .orderBy(desc(flows.version));
}

/** The live version of a lineage, or undefined when none is published. */
export async function publishedVersion(organizationId: string, lineageId: string, tx: DbOrTx = db): Promise<Flow | undefined> {
  const [f] = await tx
    .select()
    .from(flows)
    .where(and(eq(flows.organizationId, organizationId), eq(flows.lineageId, lineageId), eq(flows.status, "published")))
    .orderBy(desc(flows.version))
    .limit(1);
  return f;
}

/** Follow-up stages send templates by key: each must exist in the organization. */
async function assertFollowUpTemplates(organizationId: string, followUps: FollowUpStage[], tx: DbOrTx): Promise<void> {
  const keys = [...new Set(followUps.map((s) => s.templateKey))];
  if (keys.length === 0) return;
  const found = await tx
    .select({ key: templates.key })
    .from(templates)
    .where(and(eq(templates.organizationId, organizationId), inArray(templates.key, keys)));
  const have = new Set(found.map((f) => f.key));
  const missing = keys.filter((k) => !have.has(k));
  if (missing.length) throw validationFailed(missing.map((k) => ({ path: "followUps", message: tText("flows:errors.noTemplate", { key: k }) })));
}

/** Where a flow's audit rows point: the version changed, with the lineage and version to read it by. */
const flowTarget = (f: Flow) => ({ type: "flow", id: f.id });
const flowDetails = (f: Flow, extra: Record<string, unknown> = {}) => ({ name: f.name, lineageId: f.lineageId, version: f.version, ...extra });

export async function createFlow(caller: Caller, input: { name: string; followUps?: FollowUpStage[] }, tx?: DbOrTx): Promise<Flow> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    await assertFollowUpTemplates(organizationId, input.followUps ?? [], tx);
    const [f] = await tx
      .insert(flows)
      .values({ organizationId, lineageId: crypto.randomUUID(), name: input.name, status: "draft", version: 1, followUps: input.followUps ?? [] })
      .returning();
    await auditChange(tx, organizationId, caller, "flow.created", flowTarget(f!), flowDetails(f!));
    return f!;
  });
}

/**
 * The editable draft of a flow's lineage. Published and archived versions are immutable: editing one
 * starts a new draft (next version) with a copy of its steps.
 */
export async function draftFor(caller: Caller, flowId: string): Promise<Flow> {
  const organizationId = organizationOf(caller);
  const flow = await getFlow(organizationId, flowId);
  if (flow.status === "draft") return flow;
  return db.transaction(async (tx) => {
    const versions = await versionsOf(organizationId, flow.lineageId, tx);
    const existingDraft = versions.find((v) => v.status === "draft");
    if (existingDraft) return existingDraft;
    const [draft] = await tx
      .insert(flows)
      .values({ organizationId, lineageId: flow.lineageId, name: flow.name, status: "draft", version: versions[0]!.version + 1, followUps: flow.followUps })
      .returning();
    const steps = await getSteps(flow.id, tx);
    if (steps.length) {
      await tx.insert(flowSteps).values(steps.map(({ id: _, flowId: __, ...s }) => ({ ...s, flowId: draft!.id })));
    }
    await auditChange(tx, organizationId, caller, "flow.draft_created", flowTarget(draft!), flowDetails(draft!, { fromVersion: flow.version }));
    return draft!;
  });
}

async function editableDraft(organizationId: string, flowId: string, tx: DbOrTx): Promise<Flow> {
  const flow = await getFlow(organizationId, flowId, tx);
  if (flow.status !== "draft") throw conflict(tText("flows:errors.draftOnly"));
  return flow;
}

export async function updateFlowSettings(caller: Caller, flowId: string, input: { name: string; followUps: FollowUpStage[] }): Promise<Flow> {
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const flow = await editableDraft(organizationId, flowId, tx);
    await assertFollowUpTemplates(organizationId, input.followUps, tx);
    const [f] = await tx.update(flows).set({ name: input.name, followUps: input.followUps }).where(eq(flows.id, flow.id)).returning();
    await auditChange(tx, organizationId, caller, "flow.updated", flowTarget(f!), flowDetails(f!, { followUps: input.followUps.length }));
    return f!;
  });
}

/** Adds or replaces (same key) a step of a draft. */
export async function saveStep(caller: Caller, flowId: string, step: FlowStepInput, replacingKey?: string): Promise<FlowStep> {
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const flow = await editableDraft(organizationId, flowId, tx);
    const steps = await getSteps(flow.id, tx);
    if (steps.length >= FLOW_LIMITS.steps && !replacingKey)
      throw validationFailed([{ path: "key", message: tText("flows:errors.tooManySteps", { count: FLOW_LIMITS.steps }) }]);
    const clash = steps.find((s) => s.key === step.key && s.key !== replacingKey);
    if (clash) throw validationFailed([{ path: "key", message: tText("flows:errors.stepExists", { key: step.key }) }]);
    if (replacingKey) await tx.delete(flowSteps).where(and(eq(flowSteps.flowId, flow.id), eq(flowSteps.key, replacingKey)));
    const [saved] = await tx
      .insert(flowSteps)
      .values({ flowId: flow.id, ...step, templateKey: step.templateKey ?? null, text: step.text ?? null })
      .returning();
    await auditChange(
      tx,
      organizationId,
      caller,
      "flow.step_saved",
      flowTarget(flow),
      flowDetails(flow, { step: step.key, ...(replacingKey ? { replacing: replacingKey } : {}) }),
    );
    return saved!;
  });
}

export async function deleteStep(caller: Caller, flowId: string, key: string): Promise<void> {
  const organizationId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const flow = await editableDraft(organizationId, flowId, tx);
    const deleted = await tx
      .delete(flowSteps)
      .where(and(eq(flowSteps.flowId, flow.id), eq(flowSteps.key, key)))
      .returning({ id: flowSteps.id });
    if (deleted.length === 0) throw stepNotFound();
    await auditChange(tx, organizationId, caller, "flow.step_deleted", flowTarget(flow), flowDetails(flow, { step: key }));
  });
}

/**
 * Publishes a draft after validation: it becomes the live version and the previous live version is
 * archived. Threads already running keep the version they started with.
 */
export async function publishFlow(caller: Caller, flowId: string): Promise<Flow> {
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const flow = await editableDraft(organizationId, flowId, tx);
    const errors = await validateFlow(organizationId, await getSteps(flow.id, tx), tx);
    if (errors.length) throw validationFailed(errors, tText("flows:problems.publishRefused"));
    await tx
      .update(flows)
      .set({ status: "archived" })
      .where(and(eq(flows.lineageId, flow.lineageId), eq(flows.organizationId, organizationId), eq(flows.status, "published")));
    const [published] = await tx.update(flows).set({ status: "published" }).where(eq(flows.id, flow.id)).returning();
    await auditChange(tx, organizationId, caller, "flow.published", flowTarget(published!), flowDetails(published!));
    return published!;
  });
}
