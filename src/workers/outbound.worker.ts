import { eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { contacts, instances, messages, organizations } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { touchInstanceActivity } from "@/features/instances/instance-activity";
import { inboxTopic } from "@/lib/live-topics";
import { OUTBOUND_QUEUED_CHANNEL, outboundMessageOf, type Message } from "@/features/messages/message.service";
import { addressablesOf, recipientFor } from "@/features/messages/message.recipient";
import { markOutboundFailed, markOutboundSent, scheduleOutboundRetry } from "@/features/messages/message.outbox";
import { incrementUsage } from "@/features/usage/usage.service";
import { readMedia } from "@/features/media/media.service";
import { tText, withLocale, type Locale } from "@/lib/i18n";
import { publishLive } from "@/lib/live";
import { errorText, log, stackOf } from "@/lib/logger";
import { mediaUrlRefusal } from "@/lib/outbound";
import { providerFor } from "@/providers";
import type { Instance } from "@/db/schema";
import { ProviderError } from "@/providers/provider";
import {
  type Backoff,
  backoffDelayMs,
  claimDue as claimDueRows,
  type JobKind,
  type JobQueue,
  jobLoop,
  type LoopSettings,
  releaseLeases,
  runJobsOnce,
} from "./jobs";
import { registerWorker } from "./registry";

/**
 * Wait before attempt n+1 after n attempts: at once, then 2 s, 10 s, 1 min, 5 min; the 5th failure is
 * final. No jitter: the API documents these waits exactly, and a burst of retries falling due together
 * (an instance dropping with a backlog) is already spread by the loop's budget of sends in flight.
 */
export const OUTBOUND_BACKOFF: Backoff = { scheduleMs: [0, 2_000, 10_000, 60_000, 300_000] };
export const OUTBOUND_MAX_ATTEMPTS = OUTBOUND_BACKOFF.scheduleMs.length;
/** A claimed message is ours this long; a crashed process's messages are picked up again after it. */
const LEASE_MS = 60_000;
const BATCH = 20;
const loopSettings: LoopSettings = { pollMs: 1000, maxInFlight: BATCH, drainTimeoutMs: 10_000, channel: OUTBOUND_QUEUED_CHANNEL };

/** Queued outbound messages whose time has come (first attempt, or a retry after its backoff). */
const outbox: JobQueue = {
  table: "messages",
  lease: "lease_until",
  due: (m, now) => sql`${m}.status = 'queued' and ${m}.direction = 'outbound' and (${m}.next_attempt_at is null or ${m}.next_attempt_at <= ${now})`,
  order: (m) => [sql`${m}.next_attempt_at`, sql`${m}.created_at`],
  returning: sql`u.id, u.lease_until`,
};

/** `locale`/`timeZone`: the organization's, in which a failure reason is stored and shown (null: no organization). */
type Claimed = {
  message: Message;
  /** Our lease, the fence of a release. */
  leaseUntil: Date;
  instance: Instance;
  /** Null for a group or a person known only by a LID or business-scoped id (addressed by `kind` and identities). */
  phone: string | null;
  kind: "person" | "group";
  blocked: boolean;
  optedOut: boolean;
  locale: Locale | null;
  timeZone: string | null;
};

/**
 * Leases up to `limit` due queued outbound messages (src/workers/jobs.ts: SKIP LOCKED, so every process
 * claims concurrently without taking the same rows; the lease makes a crash re-send instead of lose),
 * then loads what the sends need.
 */
async function claimDue(limit: number): Promise<Claimed[]> {
  const leased = await claimDueRows<{ id: string; lease_until: Date | string }>(outbox, { limit, leaseMs: LEASE_MS });
  if (leased.length === 0) return [];
  const leases = new Map(leased.map((l) => [l.id, new Date(l.lease_until)] as const));
  const rows = await db
    .select({
      message: messages,
      instance: instances,
      phone: contacts.phone,
      kind: contacts.kind,
      blocked: contacts.blocked,
      optedOut: contacts.optedOut,
      locale: organizations.language,
      timeZone: organizations.timeZone,
    })
    .from(messages)
    .innerJoin(instances, eq(instances.id, messages.instanceId))
    .innerJoin(contacts, eq(contacts.id, messages.contactId))
    .leftJoin(organizations, eq(organizations.id, instances.organizationId))
    .where(inArray(messages.id, [...leases.keys()]));
  // Oldest first, so one conversation's messages go out in the order they were queued.
  return rows.map((r) => ({ ...r, leaseUntil: leases.get(r.message.id)! })).sort((a, b) => a.message.createdAt.getTime() - b.message.createdAt.getTime());
}

function summary(message: Message, phone: string | null) {
  return {
    id: message.id,
    providerMessageId: message.providerMessageId,
    conversationId: message.conversationId,
    contactId: message.contactId,
    to: phone,
    type: message.type,
    status: message.status,
    attempts: message.attempts,
  };
}

async function markSent(c: Claimed, providerMessageId: string): Promise<void> {
  const now = new Date();
  const marked = await withDeadlockRetry("outbound sent", () =>
    db.transaction(async (tx) => {
      const sent = await markOutboundSent(c.message.id, providerMessageId, now, tx);
      if (!sent) return false;
      await recordEvent(
        {
          organizationId: sent.organizationId,
          instanceId: sent.instanceId,
          apiKeyId: sent.apiKeyId,
          deviceId: sent.organizationId ? null : c.instance.createdByDeviceId,
          type: "message.sent",
          data: { message: { ...summary(sent, c.phone), timestamp: now.toISOString() } },
        },
        tx,
      );
      await incrementUsage({ organizationId: sent.organizationId, instanceId: sent.instanceId, apiKeyId: sent.apiKeyId, metric: "messages_sent", at: now }, tx);
      const topic = inboxTopic(c.instance);
      if (topic) await publishLive(topic, { conversationId: sent.conversationId, messageId: sent.id, status: "sent" }, tx);
      return true;
    }),
  );
  if (marked) await touchInstanceActivity(c.instance.id);
}

/** Records a failed attempt: retried later with backoff, or failed for good with the reason stored. */
async function markAttemptFailed(c: Claimed, reason: string, retryable: boolean): Promise<void> {
  const attempts = c.message.attempts + 1;
  const now = new Date();
  const error = reason.slice(0, 1000);
  const delayMs = retryable ? backoffDelayMs(OUTBOUND_BACKOFF, attempts) : null;
  if (delayMs !== null) {
    await scheduleOutboundRetry(c.message.id, { attempts, error, nextAttemptAt: new Date(now.getTime() + delayMs), now });
    log.info("outbound send will be retried", { messageId: c.message.id, attempts, inSeconds: delayMs / 1000, error });
    return;
  }
  const finalError = retryable ? tText("workflows:outbound.gaveUp", { error, count: attempts }) : error;
  await withDeadlockRetry("outbound failed", () =>
    db.transaction(async (tx) => {
      const failed = await markOutboundFailed(c.message.id, { attempts, error: finalError, now }, tx);
      if (!failed) return;
      await recordEvent(
        {
          organizationId: failed.organizationId,
          instanceId: failed.instanceId,
          apiKeyId: failed.apiKeyId,
          deviceId: failed.organizationId ? null : c.instance.createdByDeviceId,
          type: "message.failed",
          data: { message: { ...summary(failed, c.phone), error: finalError, timestamp: now.toISOString() } },
        },
        tx,
      );
      const topic = inboxTopic(c.instance);
      if (topic) await publishLive(topic, { conversationId: failed.conversationId, messageId: failed.id, status: "failed" }, tx);
    }),
  );
  log.warn("outbound message failed", { messageId: c.message.id, attempts, error: finalError });
}

async function sendOne(c: Claimed): Promise<void> {
  try {
    // Rules that may have changed since the message was queued are checked again at send time.
    if (c.blocked) return await markAttemptFailed(c, tText("workflows:outbound.contactBlocked"), false);
    if (c.optedOut) return await markAttemptFailed(c, tText("workflows:outbound.contactOptedOut"), false);
    if (c.instance.status === "logged_out") return await markAttemptFailed(c, tText("workflows:outbound.loggedOut"), false);
    if (c.instance.status !== "connected") {
      return await markAttemptFailed(c, tText("workflows:outbound.notConnected", { status: c.instance.status }), true);
    }
    // Checked again before the provider gets it: DNS may have changed since the message was queued.
    const mediaUrl = (c.message.media as { url?: unknown } | null)?.url;
    const mediaRefused = typeof mediaUrl === "string" ? await mediaUrlRefusal(mediaUrl) : null;
    if (mediaRefused) return await markAttemptFailed(c, tText("workflows:outbound.mediaRefused", { reason: mediaRefused }), false);
    const outbound = outboundMessageOf(c.message, c.phone ?? "");
    // A group, or a person without a phone: addressed as the provider can (its identity may have changed since queueing).
    if (c.kind === "group" || !c.phone) {
      const recipient = recipientFor((await addressablesOf([c.message.contactId])).get(c.message.contactId)!, providerFor(c.instance));
      if (!recipient.ok) return await markAttemptFailed(c, recipient.reason, false);
      outbound.to = recipient.to;
      if (recipient.address) outbound.address = recipient.address;
    }
    // An upload (POST /v1/media) goes out as its bytes: WuzAPI inlines them, Cloud uploads them to Meta first.
    const mediaId = (c.message.media as { mediaId?: unknown } | null)?.mediaId;
    if (outbound.media && typeof mediaId === "string") {
      const file = await readMedia(mediaId);
      if (!file) return await markAttemptFailed(c, tText("media:errors.uploadGone"), false);
      outbound.media.file = { bytes: file.bytes, mimeType: file.mimeType, ...(file.fileName ? { fileName: file.fileName } : {}) };
    }
    const { providerMessageId } = await providerFor(c.instance).send(c.instance, outbound);
    await markSent(c, providerMessageId);
  } catch (err) {
    if (err instanceof ProviderError) {
      await markAttemptFailed(c, err.message, err.retryable);
    } else {
      // An unexpected crash is treated as transient; the attempt limit still bounds it.
      log.error("outbound send crashed", { messageId: c.message.id, err, stack: stackOf(err) });
      // Stored and shown to the organization: a database error's message is its SQL and parameters.
      await markAttemptFailed(c, tText("workflows:outbound.unexpected", { error: errorText(err) }), true).catch((e) =>
        log.error("could not record the failed attempt", { messageId: c.message.id, err: e }),
      );
    }
  }
}

/**
 * Outbound sends as jobs: a conversation's messages one after another in the order they were queued,
 * conversations in parallel. The failure reason is stored and shown to the organization: written in
 * its language.
 */
const outboundJobs: JobKind<Claimed> = {
  name: "outbound",
  claim: claimDue,
  run: (c) => withLocale({ locale: c.locale ?? undefined, timeZone: c.timeZone ?? undefined }, () => sendOne(c)),
  // Claimed but not sent (stopping): given back, lease cleared, so another process sends them now.
  release: async (claimed) => {
    await releaseLeases(
      outbox,
      claimed.map((c) => ({ id: c.message.id, leaseUntil: c.leaseUntil })),
      { where: sql`u.status = 'queued'` },
    );
  },
  idOf: (c) => c.message.id,
  keyOf: (c) => c.message.conversationId,
};

/** One pass: claims due messages and sends them, returning how many were claimed. Tests call it directly instead of the loop. */
export async function runOutboundOnce(opts: { limit?: number } = {}): Promise<number> {
  return (await runJobsOnce(outboundJobs, opts.limit ?? BATCH)).jobs.length;
}

registerWorker(jobLoop(outboundJobs, () => loopSettings));
