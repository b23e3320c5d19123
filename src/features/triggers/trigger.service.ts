import { and, desc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { flows, instances, templates, triggerFirings, triggers, workflows } from "@/db/schema";
import { AppError, validationFailed, type FieldError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { regexMatches } from "./trigger.regex";
import type { TriggerInput } from "./trigger.schema";

export type Trigger = typeof triggers.$inferSelect;

const triggerNotFound = () => new AppError("not_found", tText("triggers:errors.notFound"));

/** References must exist in the organization (template key, flow, workflow, instances). */
async function checkReferences(organizationId: string, input: TriggerInput, tx: DbOrTx) {
  const errors: FieldError[] = [];
  if (input.instanceIds?.length) {
    const own = await tx
      .select({ id: instances.id })
      .from(instances)
      .where(and(eq(instances.organizationId, organizationId), inArray(instances.id, input.instanceIds)));
    if (own.length !== new Set(input.instanceIds).size) errors.push({ path: "instanceIds", message: tText("triggers:errors.instancesOfOrganization") });
  }
  if (input.action === "reply_template" && input.templateKey) {
    const [t] = await tx
      .select({ id: templates.id })
      .from(templates)
      .where(and(eq(templates.organizationId, organizationId), eq(templates.key, input.templateKey)))
      .limit(1);
    if (!t) errors.push({ path: "templateKey", message: tText("triggers:errors.noTemplate", { key: input.templateKey }) });
  }
  if (input.action === "start_flow" && input.flowId) {
    const [f] = await tx
      .select({ id: flows.id })
      .from(flows)
      .where(and(eq(flows.organizationId, organizationId), eq(flows.id, input.flowId)))
      .limit(1);
    if (!f) errors.push({ path: "flowId", message: tText("triggers:errors.flowNotFound") });
  }
  if (input.action === "hand_to_workflow" && input.workflowId) {
    const [w] = await tx
      .select({ id: workflows.id })
      .from(workflows)
      .where(and(eq(workflows.id, input.workflowId), or(eq(workflows.organizationId, organizationId), isNull(workflows.organizationId))))
      .limit(1);
    if (!w) errors.push({ path: "workflowId", message: tText("triggers:errors.workflowNotFound") });
  }
  if (errors.length) throw validationFailed(errors);
}

function values(input: TriggerInput) {
  return {
    ...input,
    instanceIds: input.instanceIds?.length ? input.instanceIds : null,
    templateKey: input.action === "reply_template" ? (input.templateKey ?? null) : null,
    flowId: input.action === "start_flow" ? (input.flowId ?? null) : null,
    workflowId: input.action === "hand_to_workflow" ? (input.workflowId ?? null) : null,
  };
}

export async function listTriggers(organizationId: string, tx: DbOrTx = db): Promise<Trigger[]> {
  return tx.select().from(triggers).where(eq(triggers.organizationId, organizationId)).orderBy(desc(triggers.priority), desc(triggers.updatedAt));
}

export async function getTrigger(organizationId: string, id: string, tx: DbOrTx = db): Promise<Trigger> {
  const [t] = await tx
    .select()
    .from(triggers)
    .where(and(eq(triggers.id, id), eq(triggers.organizationId, organizationId)))
    .limit(1);
  if (!t) throw triggerNotFound();
  return t;
}

/**
 * Active triggers per organization, by priority, cached briefly because every inbound message asks.
 * Writes in this process evict the entry at once; other processes see a change within the TTL.
 */
const TRIGGER_CACHE_MS = 2_000;
const activeCache = new Map<string, { until: number; rows: Trigger[] }>();

async function activeTriggersOf(organizationId: string): Promise<Trigger[]> {
  const cached = activeCache.get(organizationId);
  if (cached && cached.until > Date.now()) return cached.rows;
  const rows = await db
    .select()
    .from(triggers)
    .where(and(eq(triggers.organizationId, organizationId), eq(triggers.active, true)))
    .orderBy(desc(triggers.priority), desc(triggers.updatedAt));
  if (activeCache.size > 10_000) activeCache.clear();
  activeCache.set(organizationId, { until: Date.now() + TRIGGER_CACHE_MS, rows });
  return rows;
}

const automatesCache = new Map<string, { until: number; automates: boolean }>();

/**
 * Whether an inbound message of this organization can start or continue anything: an active trigger
 * (workflow bindings are triggers too) or a running conversation thread. Cached like the triggers:
 * most organizations automate nothing, and their messages should not pay a query each.
 */
export async function organizationAutomates(organizationId: string): Promise<boolean> {
  const cached = automatesCache.get(organizationId);
  if (cached && cached.until > Date.now()) return cached.automates;
  const [row] = rowsOf<{ automates: boolean }>(
    await db.execute(sql`
    select exists (select 1 from triggers where organization_id = ${organizationId} and active)
      or exists (select 1 from threads where organization_id = ${organizationId} and status = 'active' and conversation_id is not null) as automates`),
  );
  const automates = row?.automates === true;
  if (automatesCache.size > 10_000) automatesCache.clear();
  automatesCache.set(organizationId, { until: Date.now() + TRIGGER_CACHE_MS, automates });
  return automates;
}

function forgetTriggers(organizationId: string) {
  activeCache.delete(organizationId);
  automatesCache.delete(organizationId);
}

/** What the audit log keeps of a trigger: enough to tell which one it was without the full pattern list. */
const auditDetails = (t: Trigger) => ({ name: t.name, match: t.match, action: t.action });

export async function createTrigger(caller: Caller, input: TriggerInput, tx?: DbOrTx): Promise<Trigger> {
  const organizationId = organizationOf(caller);
  const t = await inTransaction(tx, async (tx) => {
    await checkReferences(organizationId, input, tx);
    const [t] = await tx
      .insert(triggers)
      .values({ organizationId, ...values(input) })
      .returning();
    await auditChange(tx, organizationId, caller, "trigger.created", { type: "trigger", id: t!.id }, auditDetails(t!));
    return t!;
  });
  forgetTriggers(organizationId);
  return t;
}

export async function updateTrigger(caller: Caller, id: string, input: TriggerInput, tx?: DbOrTx): Promise<Trigger> {
  const organizationId = organizationOf(caller);
  const t = await inTransaction(tx, async (tx) => {
    await getTrigger(organizationId, id, tx);
    await checkReferences(organizationId, input, tx);
    const [t] = await tx
      .update(triggers)
      .set(values(input))
      .where(and(eq(triggers.id, id), eq(triggers.organizationId, organizationId)))
      .returning();
    await auditChange(tx, organizationId, caller, "trigger.updated", { type: "trigger", id }, auditDetails(t!));
    return t!;
  });
  forgetTriggers(organizationId);
  return t;
}

export async function deleteTrigger(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const t = await getTrigger(organizationId, id, tx);
    await tx.delete(triggers).where(and(eq(triggers.id, id), eq(triggers.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "trigger.deleted", { type: "trigger", id }, auditDetails(t));
  });
  forgetTriggers(organizationId);
}

/** Enables or disables a trigger without touching the rest of it (the list's toggle). */
export async function setTriggerActive(caller: Caller, id: string, active: boolean, tx?: DbOrTx): Promise<Trigger> {
  const organizationId = organizationOf(caller);
  const t = await inTransaction(tx, async (tx) => {
    const [t] = await tx
      .update(triggers)
      .set({ active })
      .where(and(eq(triggers.id, id), eq(triggers.organizationId, organizationId)))
      .returning();
    if (!t) throw triggerNotFound();
    await auditChange(tx, organizationId, caller, active ? "trigger.enabled" : "trigger.disabled", { type: "trigger", id }, auditDetails(t));
    return t;
  });
  forgetTriggers(organizationId);
  return t;
}

export type TriggerCheck = { trigger: Trigger; outcome: "fires" | "shadowed" | "no_match" | "inactive" | "other_instance" };

/**
 * Which trigger would fire for a text, evaluated exactly like fireTrigger (same order and match
 * rules) but without recording a firing; cooldowns are per contact, so they are not considered.
 * Every trigger is listed with why it would or would not fire, for the admin's "test a message" box.
 */
export async function previewTriggers(
  organizationId: string,
  text: string,
  opts: { instanceId?: string | null; isFirstMessage: boolean },
  tx: DbOrTx = db,
): Promise<{ fired?: Trigger; checks: TriggerCheck[] }> {
  let fired: Trigger | undefined;
  const checks = (await listTriggers(organizationId, tx)).map((trigger): TriggerCheck => {
    if (!trigger.active) return { trigger, outcome: "inactive" };
    if (opts.instanceId && trigger.instanceIds?.length && !trigger.instanceIds.includes(opts.instanceId)) return { trigger, outcome: "other_instance" };
    if (!triggerMatches(trigger, text, opts.isFirstMessage)) return { trigger, outcome: "no_match" };
    if (fired) return { trigger, outcome: "shadowed" };
    fired = trigger;
    return { trigger, outcome: "fires" };
  });
  return { fired, checks };
}

/** Whether a trigger's match rule accepts this inbound text. */
export function triggerMatches(trigger: Pick<Trigger, "match" | "pattern">, text: string, isFirstMessage: boolean): boolean {
  const normalized = text.trim().toLowerCase();
  const pattern = trigger.pattern.trim().toLowerCase();
  switch (trigger.match) {
    case "equals":
      return normalized === pattern;
    case "contains":
      return pattern !== "" && normalized.includes(pattern);
    case "regex":
      // RE2: linear in the text, so no pattern can stall the inbound path.
      return regexMatches(trigger.pattern, text);
    case "number":
      return /^\d+$/.test(normalized) && (pattern === "" || Number(normalized) === Number(pattern));
    case "any":
      return true;
    case "first_message":
      return isFirstMessage;
  }
}

/**
 * The trigger that fires for an inbound message: active triggers of the organization scoped to the
 * instance, by priority (then most recently updated), skipping those still cooling down for this
 * contact. The firing is recorded so the cooldown starts now.
 */
export async function fireTrigger(
  organizationId: string,
  instanceId: string,
  contactId: string,
  /** The message text, or several candidates (the text and a chosen button/list row id): any may match. */
  text: string | string[],
  /** Asked only when a first_message trigger is a candidate (it costs a count query). */
  isFirstMessage: () => Promise<boolean>,
  now = new Date(),
): Promise<Trigger | undefined> {
  const candidates = (await activeTriggersOf(organizationId)).filter((t) => t.instanceIds === null || t.instanceIds.includes(instanceId));
  let first: boolean | undefined;
  for (const trigger of candidates) {
    if (trigger.match === "first_message") first ??= await isFirstMessage();
    if (!(Array.isArray(text) ? text : [text]).some((t) => triggerMatches(trigger, t, first ?? false))) continue;
    if (trigger.cooldownSeconds > 0) {
      const since = new Date(now.getTime() - trigger.cooldownSeconds * 1000);
      const [recent] = await db
        .select({ id: triggerFirings.id })
        .from(triggerFirings)
        .where(and(eq(triggerFirings.contactId, contactId), eq(triggerFirings.triggerId, trigger.id), gt(triggerFirings.at, since)))
        .limit(1);
      if (recent) continue;
    }
    await db.insert(triggerFirings).values({ triggerId: trigger.id, contactId, at: now });
    return trigger;
  }
  return undefined;
}

/** A visitor contact merged into the organization's contact: its firings (cooldowns) follow. */
export async function moveContactFirings(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(triggerFirings).set({ contactId: toContactId }).where(eq(triggerFirings.contactId, fromContactId));
}
