import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { db, listen } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { contacts, instances, messages, organizations } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { touchInstanceActivity } from "@/features/instances/instance-activity";
import { inboxTopic } from "@/lib/live-topics";
import { OUTBOUND_QUEUED_CHANNEL, outboundMessageOf, type Message } from "@/features/messages/message.service";
import { incrementUsage } from "@/features/usage/usage.service";
import { tText, withLocale, type Locale } from "@/lib/i18n";
import { publishLive } from "@/lib/live";
import { errorText, log, stackOf } from "@/lib/logger";
import { mediaUrlRefusal } from "@/lib/outbound";
import { providerFor } from "@/providers";
import type { Instance } from "@/db/schema";
import { ProviderError } from "@/providers/provider";
import { registerWorker } from "./registry";

/** Wait before attempt n+1 after n failed attempts: 2 s, 10 s, 1 min, 5 min; the 5th failure is final. */
export const OUTBOUND_BACKOFF_SECONDS = [2, 10, 60, 300] as const;
export const OUTBOUND_MAX_ATTEMPTS = OUTBOUND_BACKOFF_SECONDS.length + 1;
/** A claimed message is ours this long; a crashed process's messages are picked up again after it. */
const LEASE_SECONDS = 60;
const BATCH = 20;
const POLL_MS = 1000;
const STOP_GRACE_MS = 10_000;

/** Ids this process holds a lease on, released on stop() so another process can send them at once. */
const inFlight = new Set<string>();

/** `locale`/`timeZone`: the organization's, in which a failure reason is stored and shown (null: no organization). */
type Claimed = { message: Message; instance: Instance; phone: string; blocked: boolean; optedOut: boolean; locale: Locale | null; timeZone: string | null };

/**
 * Leases up to `limit` due queued outbound messages. `FOR UPDATE SKIP LOCKED` lets every process claim
 * concurrently without taking the same rows; the lease makes a crash re-send instead of losing.
 */
async function claimDue(limit: number): Promise<Claimed[]> {
  const due = db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.status, "queued"),
        eq(messages.direction, "outbound"),
        or(isNull(messages.nextAttemptAt), lte(messages.nextAttemptAt, sql`now()`)),
        or(isNull(messages.leaseUntil), lte(messages.leaseUntil, sql`now()`)),
      ),
    )
    .orderBy(messages.nextAttemptAt, messages.createdAt)
    .limit(limit)
    .for("no key update", { skipLocked: true });
  const leased = await db
    .update(messages)
    .set({ leaseUntil: sql`now() + make_interval(secs => ${LEASE_SECONDS})` })
    .where(inArray(messages.id, due))
    .returning({ id: messages.id });
  if (leased.length === 0) return [];
  for (const { id } of leased) inFlight.add(id);
  const rows = await db
    .select({
      message: messages,
      instance: instances,
      phone: contacts.phone,
      blocked: contacts.blocked,
      optedOut: contacts.optedOut,
      locale: organizations.language,
      timeZone: organizations.timeZone,
    })
    .from(messages)
    .innerJoin(instances, eq(instances.id, messages.instanceId))
    .innerJoin(contacts, eq(contacts.id, messages.contactId))
    .leftJoin(organizations, eq(organizations.id, instances.organizationId))
    .where(
      inArray(
        messages.id,
        leased.map((l) => l.id),
      ),
    );
  // Oldest first, so one conversation's messages go out in the order they were queued.
  return rows.sort((a, b) => a.message.createdAt.getTime() - b.message.createdAt.getTime());
}

function summary(message: Message, phone: string) {
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
      const [sent] = await tx
        .update(messages)
        .set({
          status: "sent",
          providerMessageId,
          sentAt: now,
          attempts: sql`${messages.attempts} + 1`,
          error: null,
          leaseUntil: null,
          nextAttemptAt: null,
          updatedAt: now,
        })
        .where(and(eq(messages.id, c.message.id), eq(messages.status, "queued")))
        .returning();
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
  if (retryable && attempts < OUTBOUND_MAX_ATTEMPTS) {
    const delay = OUTBOUND_BACKOFF_SECONDS[attempts - 1]!;
    await db
      .update(messages)
      .set({ attempts, error, leaseUntil: null, nextAttemptAt: new Date(now.getTime() + delay * 1000), updatedAt: now })
      .where(and(eq(messages.id, c.message.id), eq(messages.status, "queued")));
    log.info("outbound send will be retried", { messageId: c.message.id, attempts, inSeconds: delay, error });
    return;
  }
  const finalError = retryable ? tText("workflows:outbound.gaveUp", { error, count: attempts }) : error;
  await withDeadlockRetry("outbound failed", () =>
    db.transaction(async (tx) => {
      const [failed] = await tx
        .update(messages)
        .set({ status: "failed", attempts, error: finalError, failedAt: now, leaseUntil: null, nextAttemptAt: null, updatedAt: now })
        .where(and(eq(messages.id, c.message.id), eq(messages.status, "queued")))
        .returning();
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
    const { providerMessageId } = await providerFor(c.instance).send(c.instance, outboundMessageOf(c.message, c.phone));
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
  } finally {
    inFlight.delete(c.message.id);
  }
}

/**
 * One pass: claims due messages and sends them — conversations in parallel, each conversation's
 * messages in order. Returns how many were claimed. Tests call it directly instead of the loop.
 */
export async function runOutboundOnce(opts: { limit?: number } = {}): Promise<number> {
  const claimed = await claimDue(opts.limit ?? BATCH);
  const byConversation = new Map<string, Claimed[]>();
  for (const c of claimed) {
    const list = byConversation.get(c.message.conversationId) ?? [];
    list.push(c);
    byConversation.set(c.message.conversationId, list);
  }
  await Promise.all(
    [...byConversation.values()].map(async (list) => {
      // The failure reason is stored and shown to the organization: written in its language.
      for (const c of list) await withLocale({ locale: c.locale ?? undefined, timeZone: c.timeZone ?? undefined }, () => sendOne(c));
    }),
  );
  return claimed.length;
}

/** Gives claimed-but-unsent messages back (lease cleared) so another process sends them now. */
async function releaseLeases(): Promise<void> {
  if (inFlight.size === 0) return;
  const ids = [...inFlight];
  inFlight.clear();
  await db
    .update(messages)
    .set({ leaseUntil: null })
    .where(and(inArray(messages.id, ids), eq(messages.status, "queued")));
}

let timer: ReturnType<typeof setInterval> | undefined;
let unlisten: (() => Promise<void>) | undefined;
let running: Promise<void> | null = null;
let again = false;
let stopping = false;

/** Runs passes until the queue has nothing due; a wake-up during a pass schedules one more. */
function wake(): void {
  if (stopping) return;
  if (running) {
    again = true;
    return;
  }
  running = (async () => {
    do {
      again = false;
      try {
        while (!stopping && (await runOutboundOnce()) === BATCH) {}
      } catch (err) {
        log.error("outbound pass failed", { err });
      }
    } while (again && !stopping);
  })().finally(() => {
    running = null;
  });
}

registerWorker({
  name: "outbound",
  async start() {
    stopping = false;
    unlisten = await listen(OUTBOUND_QUEUED_CHANNEL, wake);
    timer = setInterval(wake, POLL_MS);
    wake();
  },
  async stop() {
    stopping = true;
    clearInterval(timer);
    timer = undefined;
    await unlisten?.().catch(() => {});
    unlisten = undefined;
    if (running) await Promise.race([running, Bun.sleep(STOP_GRACE_MS)]);
    await releaseLeases().catch((err) => log.error("releasing outbound leases failed", { err }));
  },
});
