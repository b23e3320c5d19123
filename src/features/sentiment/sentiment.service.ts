import { generateText, Output } from "ai";
import { and, desc, eq, sql } from "drizzle-orm";
import { can } from "@/auth/roles";
import { db, notify, type DbOrTx } from "@/db/client";
import { evictOrganization, orgCached } from "@/db/org-cache";
import { conversations, messages, organizations, sentimentChecks, sentimentSettings, workflows } from "@/db/schema";
import { raiseAlert } from "@/features/alerts/alert.service";
import { auditChange } from "@/features/audit/audit.service";
import { recordConversationSentiment } from "@/features/conversations/conversation.ai-state";
import type { InboundMessageContext } from "@/features/inbound/inbound.service";
import { aiTokensAvailable, recordAiTokens } from "@/features/usage/usage.service";
import { getWorkflow, workflowLanguageModel, type Workflow } from "@/features/workflows/workflow.service";
import { roleOf, type Caller } from "@/lib/caller";
import { AppError, forbidden, validationFailed } from "@/lib/errors";
import { tText, withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { organizationOf } from "@/lib/tenant";
import { backoffDelayMs, claimDue, releaseLeases, runJobsOnce, type Backoff, type JobKind, type JobQueue } from "@/workers/jobs";
import { classificationSchema, SENTIMENT_LIMITS, type Classification, type SentimentSettingsInput } from "./sentiment.schema";

/**
 * Sentiment and urgency (seed 002 `conversations.sentiment`, `urgency`): an organization that turns it
 * on has each conversation's recent messages classified by a cheap model a few seconds after the
 * contact's last message (a burst once), by a job — never on the inbound path. The result is stored on
 * the conversation (badges in the inbox); high urgency, and negative sentiment when the organization
 * asks, raise a supervisor alert. Tokens are metered; a failure is logged and retried, and the message
 * itself is never touched.
 */

/** Wait after the contact's last message before classifying (more messages push it back). */
export const SENTIMENT_DEBOUNCE_MS = 5_000;
/** Messages of the conversation the classifier reads (the newest, both directions). */
const CONTEXT_MESSAGES = 12;
const MODEL_TIMEOUT_MS = 20_000;
const RETRY: Backoff = { scheduleMs: [10_000, 60_000], jitter: 0.2, maxJitterMs: 10_000 };
export const SENTIMENT_DUE_CHANNEL = "livchat_sentiment_due";

export type SentimentSettingsView = { enabled: boolean; workflowId: string | null; model: string | null; alertOnNegative: boolean };

export async function getSentimentSettings(organizationId: string, tx: DbOrTx = db): Promise<SentimentSettingsView> {
  const [row] = await tx.select().from(sentimentSettings).where(eq(sentimentSettings.organizationId, organizationId)).limit(1);
  return { enabled: row?.enabled ?? false, workflowId: row?.workflowId ?? null, model: row?.model ?? null, alertOnNegative: row?.alertOnNegative ?? true };
}

/** The organization's AI workflows, for the settings' connection picker. */
export async function sentimentWorkflowOptions(organizationId: string): Promise<{ id: string; name: string }[]> {
  return db
    .select({ id: workflows.id, name: workflows.name })
    .from(workflows)
    .where(and(eq(workflows.organizationId, organizationId), eq(workflows.provider, "openai")))
    .orderBy(workflows.name);
}

/** Saves the settings (supervisors and above); enabling needs an AI workflow of the organization. Audited. */
export async function saveSentimentSettings(caller: Caller, input: SentimentSettingsInput): Promise<SentimentSettingsView> {
  if (caller.type === "user" && !can.manageAutomation(roleOf(caller))) throw forbidden(tText("suggestions:sentiment.errors.manageOnly"));
  const organizationId = organizationOf(caller);
  const previous = await getSentimentSettings(organizationId);
  const workflowId = input.workflowId === undefined ? previous.workflowId : input.workflowId;
  if (workflowId) {
    let w: Workflow | undefined;
    try {
      w = await getWorkflow(organizationId, workflowId);
    } catch (err) {
      if (!(err instanceof AppError && err.code === "not_found")) throw err;
    }
    if (!w || w.organizationId !== organizationId || w.provider !== "openai") {
      throw validationFailed([{ path: "workflowId", message: tText("suggestions:sentiment.errors.workflowInvalid") }]);
    }
  } else if (input.enabled) {
    throw validationFailed([{ path: "workflowId", message: tText("suggestions:sentiment.errors.workflowRequired") }]);
  }
  const values = {
    enabled: input.enabled,
    workflowId,
    model: input.model === undefined ? previous.model : input.model || null,
    alertOnNegative: input.alertOnNegative ?? previous.alertOnNegative,
  };
  await db.transaction(async (tx) => {
    await tx
      .insert(sentimentSettings)
      .values({ organizationId, ...values })
      .onConflictDoUpdate({ target: sentimentSettings.organizationId, set: { ...values, updatedAt: new Date() } });
    await auditChange(tx, organizationId, caller, "sentiment.settings_changed", { type: "organization", id: organizationId }, values);
  });
  // Seen at once by this process's next message (the trigger's NOTIFY tells the others).
  evictOrganization("sentiment_settings", organizationId);
  return values;
}

// ——— Queueing (the inbound hook) ———

/**
 * Subscribed to every stored inbound message (src/routes.ts): one statement queues (or pushes back) the
 * conversation's classification when its organization has sentiment on. Groups and notes are left out.
 */
export async function queueSentimentCheck({ instance, contact, conversation, message }: InboundMessageContext, now = new Date()): Promise<void> {
  if (!instance.organizationId || message.isPrivateNote || contact.kind === "group") return;
  // Most organizations leave it off: their messages cost no query (settings cached per organization, src/db/org-cache.ts).
  if (!(await sentimentEnabled(instance.organizationId))) return;
  const dueAt = new Date(now.getTime() + SENTIMENT_DEBOUNCE_MS).toISOString();
  await db.execute(sql`
    insert into sentiment_checks (organization_id, conversation_id, due_at)
    select s.organization_id, ${conversation.id}::uuid, ${dueAt}::timestamptz from sentiment_settings s
    where s.organization_id = ${instance.organizationId}::uuid and s.enabled
    on conflict (conversation_id) do update set due_at = excluded.due_at`);
}

/** Whether the organization has sentiment on, as every inbound message asks it. */
const sentimentEnabled = orgCached({
  tables: ["sentiment_settings"],
  load: async (organizationId) => (await getSentimentSettings(organizationId)).enabled,
});

// ——— The worker ———

type Job = { id: string; organization_id: string; conversation_id: string; attempts: number; due_at: string; lease_until: string };

const sentimentQueue: JobQueue = {
  table: "sentiment_checks",
  lease: "lease_until",
  due: (row, now) => sql`${row}.due_at <= ${now}`,
  order: (row) => [sql`${row}.due_at`],
  set: () => sql`attempts = u.attempts + 1`,
  returning: sql`u.id, u.organization_id, u.conversation_id, u.attempts, u.due_at::text as due_at, u.lease_until::text as lease_until`,
};

/** The check is done: removed unless a newer message pushed it back meanwhile (then it is only let go). */
async function finish(job: Job): Promise<void> {
  const removed = await db
    .delete(sentimentChecks)
    .where(and(eq(sentimentChecks.id, job.id), sql`${sentimentChecks.dueAt} = ${job.due_at}::timestamptz`))
    .returning({ id: sentimentChecks.id });
  if (removed.length === 0) await db.update(sentimentChecks).set({ leaseUntil: null, attempts: 0 }).where(eq(sentimentChecks.id, job.id));
}

export function sentimentJobs(now?: () => Date): JobKind<Job> {
  return {
    name: "sentiment",
    claim: (limit) => claimDue<Job>(sentimentQueue, { limit, leaseMs: MODEL_TIMEOUT_MS + 30_000, now: now?.() ?? new Date() }),
    run: (job) => classify(job, now?.() ?? new Date()),
    release: async (jobs) => {
      await releaseLeases(
        sentimentQueue,
        jobs.map((j) => ({ id: j.id, leaseUntil: new Date(j.lease_until) })),
      );
    },
    idOf: (job) => job.id,
  };
}

/** One pass (tests): classifies every conversation due at `now`. Returns how many were claimed. */
export async function processDueSentiment(now = new Date(), limit = 20): Promise<number> {
  return (
    await runJobsOnce(
      sentimentJobs(() => now),
      limit,
    )
  ).jobs.length;
}

/** Wakes the workers (tests and the inbound hook do not need it: the loop polls). */
export const wakeSentimentWorkers = () => notify(SENTIMENT_DUE_CHANNEL, "");

async function classify(job: Job, now: Date): Promise<void> {
  try {
    await classifyConversation(job, now);
    await finish(job);
  } catch (err) {
    const delay = backoffDelayMs(RETRY, job.attempts - 1);
    log.warn("sentiment classification failed", {
      conversationId: job.conversation_id,
      attempts: job.attempts,
      err: String((err as Error)?.message ?? err).slice(0, 300),
    });
    if (delay === null) {
      await finish(job);
      return;
    }
    await db
      .update(sentimentChecks)
      .set({ leaseUntil: null, dueAt: sql`greatest(${sentimentChecks.dueAt}, ${new Date(now.getTime() + delay).toISOString()}::timestamptz)` })
      .where(eq(sentimentChecks.id, job.id));
  }
}

const LANGUAGE_NAMES: Record<string, string> = { "pt-BR": "Brazilian Portuguese", en: "English" };

async function classifyConversation(job: Job, now: Date): Promise<void> {
  const organizationId = job.organization_id;
  const settings = await getSentimentSettings(organizationId);
  if (!settings.enabled || !settings.workflowId) return;
  const [row] = await db
    .select({ conversation: conversations, language: organizations.language, timeZone: organizations.timeZone, boundConfig: workflows.config })
    .from(conversations)
    .innerJoin(organizations, eq(organizations.id, conversations.organizationId))
    .leftJoin(workflows, eq(workflows.id, conversations.workflowId))
    .where(and(eq(conversations.id, job.conversation_id), eq(conversations.organizationId, organizationId)))
    .limit(1);
  if (!row) return;
  // A workflow may leave its conversations out.
  if ((row.boundConfig as { sentimentAnalysis?: unknown } | null)?.sentimentAnalysis === false) return;
  if (!(await aiTokensAvailable(organizationId, now))) {
    log.info("sentiment skipped: the organization's token limit is reached", { organizationId });
    return;
  }
  const recent = await db
    .select({
      id: messages.id,
      direction: messages.direction,
      text: sql<string | null>`coalesce(nullif(${messages.transcript}, ''), ${messages.body})`,
    })
    .from(messages)
    .where(and(eq(messages.conversationId, row.conversation.id), eq(messages.isPrivateNote, false)))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(CONTEXT_MESSAGES);
  const lastInbound = recent.find((m) => m.direction === "inbound");
  const transcript = recent
    .reverse()
    .filter((m) => m.text?.trim())
    .map((m) => `${m.direction === "inbound" ? "Customer" : "Business"}: ${m.text}`)
    .join("\n");
  if (!lastInbound || !transcript) return;
  const workflow = await getWorkflow(organizationId, settings.workflowId);
  const result = await generateText({
    model: workflowLanguageModel(workflow, { model: settings.model, timeoutMs: MODEL_TIMEOUT_MS }),
    system: [
      "You classify a customer's mood in a WhatsApp conversation with a business.",
      "sentiment: the customer's current feeling (positive, neutral or negative).",
      "urgency: how soon a person must act (high: threats to cancel or complain publicly, emergencies, money lost, anger; medium: a problem waiting; low: none).",
      `reason: one short sentence in ${LANGUAGE_NAMES[row.language] ?? "English"}.`,
    ].join(" "),
    prompt: transcript,
    output: Output.object({ schema: classificationSchema }),
    maxRetries: 0,
    abortSignal: AbortSignal.timeout(MODEL_TIMEOUT_MS),
  });
  const tokens = result.totalUsage.totalTokens ?? (result.totalUsage.inputTokens ?? 0) + (result.totalUsage.outputTokens ?? 0);
  const classification: Classification = { ...result.output, reason: result.output.reason.slice(0, SENTIMENT_LIMITS.reason) };
  const previous = row.conversation;
  const wasAlarming = isAlarming(previous, settings);
  await db.transaction(async (tx) => {
    await recordConversationSentiment(organizationId, row.conversation.id, classification, now, tx);
    await recordAiTokens({ organizationId, instanceId: row.conversation.instanceId, tokens }, tx);
    // Alerts when the conversation turns alarming (not again for every message while it stays so).
    if (isAlarming(classification, settings) && !wasAlarming) {
      const high = classification.urgency === "high";
      const message = withLocale({ locale: row.language, timeZone: row.timeZone }, () =>
        tText(high ? "suggestions:sentiment.alert.urgent" : "suggestions:sentiment.alert.negative", { reason: classification.reason }),
      );
      await raiseAlert(tx, organizationId, {
        type: "urgency",
        severity: high ? (classification.sentiment === "negative" ? "critical" : "high") : "medium",
        conversationId: row.conversation.id,
        message,
        details: { sentiment: classification.sentiment, urgency: classification.urgency, reason: classification.reason, messageId: lastInbound.id },
        dedupeKey: `sentiment:${lastInbound.id}`,
      });
    }
  });
}

/** High urgency always; negative sentiment when the organization asks. */
function isAlarming(c: { sentiment: string | null; urgency: string | null }, settings: Pick<SentimentSettingsView, "alertOnNegative">): boolean {
  return c.urgency === "high" || (settings.alertOnNegative && c.sentiment === "negative");
}
