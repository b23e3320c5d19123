import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { db, notify, rowsOf } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { contacts, conversations, instances, messages, organizations, transcriptions, type TranscriptionStatus } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import type { InboundMessageContext } from "@/features/inbound/inbound.service";
import { onMediaSettled } from "@/features/media/media.service";
import { noteTranscriptionFailure, setMessageTranscript } from "@/features/messages/message.transcript";
import { tText, withLocale } from "@/lib/i18n";
import { publishLive } from "@/lib/live";
import { inboxTopic } from "@/lib/live-topics";
import { log } from "@/lib/logger";
import { backoffDelayMs, claimDue, releaseLeases, runJobsOnce, type Backoff, type JobKind, type JobQueue } from "@/workers/jobs";
import { requestTranscription, TranscriptionFailure } from "./transcription.client";
import { readStoredAudio } from "./transcription.media";
import { transcriptionEndpointOf } from "./transcription.settings";

/**
 * Voice transcription: an inbound voice note or audio message of an organization that turned it on
 * is sent to its OpenAI-compatible endpoint once the media worker has stored the audio; the transcript
 * is stored on the message, evented as `message.transcribed`, published to the inbox, and handed to
 * the subscribers (automation) as the message's text.
 *
 * Every such message settles exactly once — transcribed, or failed (endpoint refusing or down after
 * the retries, audio never stored, transcription turned off meanwhile) — and the subscribers hear it
 * then, with the transcript or without one, so a contact is never left unanswered.
 */

/** How long a voice note waits for its audio to be stored before it settles without a transcript. */
export const MEDIA_WAIT_MS = 5 * 60_000;
/** How long one upload may take (a minute of audio takes seconds; tests shorten it). */
export const transcriptionHttp = { timeoutMs: 120_000 };
/** Three tries: at once, after 10 s, after a minute (only for failures that may pass: timeouts, 429, 5xx). */
const RETRY: Backoff = { scheduleMs: [0, 10_000, 60_000], jitter: 0.2, maxJitterMs: 10_000 };
/** NOTIFY channel that wakes the transcription workers when a voice note becomes due. */
export const TRANSCRIPTION_DUE_CHANNEL = "livchat_transcription_due";

export type TranscriptionSettled = InboundMessageContext & { transcript: string | null };
export type TranscriptionHook = (settled: TranscriptionSettled) => Promise<void> | void;

/**
 * Subscribers to settled transcriptions (automation: the held message is handled now, with its
 * transcript as the text). They run after the outcome committed; a failing hook is logged.
 */
export const onTranscriptionSettled: TranscriptionHook[] = [];

type AudioMessage = Pick<typeof messages.$inferSelect, "id" | "type" | "direction" | "organizationId">;

const isTranscribable = (m: AudioMessage) => m.type === "audio" && m.direction === "inbound" && !!m.organizationId;

/** The message has audio on its way (the media feature named its row) that did not already fail to arrive. */
const hasAudioComing = (m: Pick<typeof messages.$inferSelect, "media">) => typeof m.media?.mediaId === "string" && m.media.status !== "failed";

/**
 * Called by automation for every new inbound message before it acts on it: true when the message is
 * a voice note or audio that transcription handles (the organization has it on, or it is already
 * queued) and whose audio is on its way, in which case automation must wait for
 * `onTranscriptionSettled` instead of acting on an empty body. The message is queued here (waiting for its audio) if the stored media did not queue it first.
 */
export async function holdForTranscription(message: AudioMessage & Pick<typeof messages.$inferSelect, "media">): Promise<boolean> {
  // An audio message without a file to fetch has nothing to transcribe: automation hears it as it is.
  if (!isTranscribable(message) || !hasAudioComing(message)) return false;
  // One statement: queue it when the organization has transcription on, and say whether it is queued
  // at all (the second test does not see this statement's own insert, hence both).
  const [row] = rowsOf<{ held: boolean }>(
    await db.execute(sql`
      with queued as (
        insert into transcriptions (message_id, organization_id, status)
        select ${message.id}::uuid, s.organization_id, 'waiting' from transcription_settings s
        where s.organization_id = ${message.organizationId}::uuid and s.enabled
        on conflict (message_id) do nothing
        returning id
      )
      select exists (select 1 from queued) or exists (select 1 from transcriptions t where t.message_id = ${message.id}::uuid) as held`),
  );
  return row?.held === true;
}

/**
 * The media worker stored (or gave up on) a message's file: a voice note of an organization with
 * transcription on becomes due now; one waiting for audio that will never come settles without words.
 */
export async function mediaSettled(messageId: string, outcome: "stored" | "failed"): Promise<void> {
  const [message] = await db
    .select({ id: messages.id, type: messages.type, direction: messages.direction, organizationId: messages.organizationId })
    .from(messages)
    .where(eq(messages.id, messageId))
    .limit(1);
  if (!message || !isTranscribable(message)) return;
  if (outcome === "stored") {
    // One already waiting becomes due whatever the switch says now (the worker settles it either way);
    // otherwise it is queued only while the organization has transcription on.
    await db.execute(sql`
      with woken as (
        update transcriptions set status = 'pending', next_attempt_at = now(), updated_at = now()
        where message_id = ${message.id}::uuid and status = 'waiting'
        returning id
      )
      insert into transcriptions (message_id, organization_id, status, next_attempt_at)
      select ${message.id}::uuid, s.organization_id, 'pending', now() from transcription_settings s
      where s.organization_id = ${message.organizationId}::uuid and s.enabled and not exists (select 1 from woken)
      on conflict (message_id) do nothing`);
    // A voice note held by a concurrent inbound hook (its insert committed while ours waited on the
    // unique index, after our snapshot was taken) is woken by this second look.
    await db
      .update(transcriptions)
      .set({ status: "pending", nextAttemptAt: sql`now()`, updatedAt: new Date() })
      .where(and(eq(transcriptions.messageId, message.id), eq(transcriptions.status, "waiting")));
    await notify(TRANSCRIPTION_DUE_CHANNEL, "");
    return;
  }
  const error = await orgText(message.organizationId!, "transcription:failures.noAudio");
  const failed = await db
    .update(transcriptions)
    .set({ status: "failed", error, updatedAt: new Date() })
    .where(and(eq(transcriptions.messageId, messageId), eq(transcriptions.status, "waiting")))
    .returning({ messageId: transcriptions.messageId });
  if (failed.length > 0) await settleFailed(messageId, error);
}

/**
 * Subscribes transcription to the media feature's settled files (stored or failed). Called by the
 * composition root (src/routes.ts); idempotent, since tests build many apps in one process.
 */
export function wireTranscription(): void {
  if (!onMediaSettled.includes(mediaHook)) onMediaSettled.push(mediaHook);
}

const mediaHook = async (row: { messageId: string | null; status: string }) => {
  if (row.messageId && (row.status === "stored" || row.status === "failed")) await mediaSettled(row.messageId, row.status);
};

/** A text of the transcription catalog in the organization's language (workers have no request). */
async function orgText(organizationId: string, key: string, values?: Parameters<typeof tText>[1]): Promise<string> {
  const [org] = await db
    .select({ language: organizations.language, timeZone: organizations.timeZone })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  return withLocale({ locale: org?.language, timeZone: org?.timeZone }, () => tText(key, values));
}

// ——— The worker ———

type Job = { id: string; message_id: string; organization_id: string; attempts: number; lease_until: string };

export const transcriptionQueue: JobQueue = {
  table: "transcriptions",
  lease: "lease_until",
  due: (row, now) => sql`${row}.status = 'pending' and ${row}.next_attempt_at <= ${now}`,
  order: (row) => [sql`${row}.next_attempt_at`],
  set: (now) => sql`attempts = u.attempts + 1, updated_at = ${now}`,
  returning: sql`u.id, u.message_id, u.organization_id, u.attempts, u.lease_until::text as lease_until`,
};

/** The claimed row is still ours: its lease is the one the claim wrote (a fencing token). */
const stillLeased = (job: Job) => and(eq(transcriptions.id, job.id), eq(transcriptions.leaseUntil, new Date(job.lease_until)));

/** The transcription job kind at clock `now` (tests move it; the loop passes the real time). */
export function transcriptionJobs(now?: () => Date): JobKind<Job> {
  return {
    name: "transcription",
    async claim(limit) {
      const at = now?.() ?? new Date();
      await expireWaiting(at);
      // The lease outlives the request, so a slow upload is never claimed twice.
      return claimDue<Job>(transcriptionQueue, { limit, leaseMs: transcriptionHttp.timeoutMs + 30_000, now: at });
    },
    run: (job, signal) => transcribe(job, now?.() ?? new Date(), signal),
    async release(jobs) {
      await releaseLeases(
        transcriptionQueue,
        jobs.map((j) => ({ id: j.id, leaseUntil: new Date(j.lease_until) })),
      );
    },
    idOf: (job) => job.id,
  };
}

/** One pass of the worker (tests): expires stale waits, transcribes what is due. Returns how many ran. */
export async function processDueTranscriptions(now = new Date(), limit = 10): Promise<number> {
  const { jobs } = await runJobsOnce(
    transcriptionJobs(() => now),
    limit,
  );
  return jobs.length;
}

/** Voice notes whose audio never arrived within MEDIA_WAIT_MS settle without a transcript. */
async function expireWaiting(now: Date): Promise<void> {
  const cutoff = new Date(now.getTime() - MEDIA_WAIT_MS);
  const expired = await db
    .update(transcriptions)
    .set({ status: "failed", updatedAt: now })
    .where(and(eq(transcriptions.status, "waiting"), lt(transcriptions.createdAt, cutoff)))
    .returning({ id: transcriptions.id, messageId: transcriptions.messageId, organizationId: transcriptions.organizationId });
  for (const row of expired) {
    const error = await orgText(row.organizationId, "transcription:failures.mediaTimeout");
    await db.update(transcriptions).set({ error }).where(eq(transcriptions.id, row.id));
    log.warn("voice note settled without transcript: its audio never arrived", { messageId: row.messageId });
    await settleFailed(row.messageId, error);
  }
}

/** One claimed voice note to its outcome; `signal` aborts the upload when a stopping worker runs out of drain time. */
async function transcribe(job: Job, now: Date, signal?: AbortSignal): Promise<void> {
  const [row] = await db
    .select({ message: messages, language: organizations.language, timeZone: organizations.timeZone })
    .from(messages)
    .innerJoin(organizations, eq(organizations.id, messages.organizationId))
    .where(eq(messages.id, job.message_id))
    .limit(1);
  if (!row) {
    // The message (or its organization) is gone; the cascade takes this row with it.
    await db.delete(transcriptions).where(stillLeased(job));
    return;
  }
  const locale = { locale: row.language, timeZone: row.timeZone };
  // Failure reasons are recorded in the organization's language: people read them there.
  await withLocale(locale, async () => {
    const language = row.language === "pt-BR" ? "pt" : undefined;
    let endpoint: Awaited<ReturnType<typeof transcriptionEndpointOf>>;
    try {
      endpoint = await transcriptionEndpointOf(job.organization_id);
    } catch (err) {
      return fail(job, (err as Error).message);
    }
    if (!endpoint) return fail(job, tText("transcription:failures.disabled"));
    try {
      const audio = await readStoredAudio(row.message);
      if (!audio) return fail(job, tText("transcription:failures.noAudio"));
      const text = await requestTranscription(endpoint, audio, { language, timeoutMs: transcriptionHttp.timeoutMs, signal });
      await complete(job, row.message, text, { model: endpoint.model, language: language ?? null });
    } catch (caught) {
      // Anything unexpected (the media store unreadable, the database) is retried like a passing failure:
      // the voice note must still settle once the tries are spent.
      if (!(caught instanceof TranscriptionFailure)) log.error("transcription failed unexpectedly", { messageId: job.message_id, err: caught });
      const err = caught instanceof TranscriptionFailure ? caught : new TranscriptionFailure(tText("transcription:failures.unexpected"), true);
      const delay = err.retryable ? backoffDelayMs(RETRY, job.attempts) : null;
      if (delay === null) return fail(job, err.message);
      log.info("transcription will be retried", { messageId: job.message_id, attempt: job.attempts, reason: err.message });
      await db
        .update(transcriptions)
        .set({ nextAttemptAt: new Date(now.getTime() + delay), leaseUntil: null, error: err.message, updatedAt: new Date() })
        .where(stillLeased(job));
    }
  });
}

/** The claim was lost (our lease ran out and another worker took the row over): its outcome counts, not ours. */
class LeaseLost extends Error {}

async function complete(job: Job, message: typeof messages.$inferSelect, transcript: string, used: { model: string; language: string | null }) {
  let stored: boolean;
  try {
    // In the lock order (src/db/lock-order.ts): the message, then the rows nobody else waits on.
    stored = await withDeadlockRetry("transcription outcome", () =>
      db.transaction(async (tx) => {
        if (!(await setMessageTranscript(message.id, transcript, tx))) return false;
        const [mine] = await tx
          .update(transcriptions)
          .set({ status: "completed", completedAt: new Date(), leaseUntil: null, nextAttemptAt: null, error: null, ...used, updatedAt: new Date() })
          .where(stillLeased(job))
          .returning({ id: transcriptions.id });
        if (!mine) throw new LeaseLost();
        await recordEvent(
          {
            organizationId: message.organizationId,
            instanceId: message.instanceId,
            type: "message.transcribed",
            data: {
              message: {
                id: message.id,
                providerMessageId: message.providerMessageId,
                conversationId: message.conversationId,
                contactId: message.contactId,
                type: message.type,
                transcript,
                language: used.language,
                model: used.model,
              },
            },
          },
          tx,
        );
        const [instance] = await tx
          .select({ organizationId: instances.organizationId, createdByDeviceId: instances.createdByDeviceId })
          .from(instances)
          .where(eq(instances.id, message.instanceId));
        const topic = instance ? inboxTopic(instance) : null;
        // "transcribed" makes the inbox render the bubble again rather than reuse the one it drew on arrival.
        if (topic) await publishLive(topic, { conversationId: message.conversationId, messageId: message.id, status: "transcribed" }, tx);
        return true;
      }),
    );
  } catch (err) {
    if (err instanceof LeaseLost) return;
    throw err;
  }
  if (stored) await settle(message.id, transcript);
}

async function fail(job: Job, error: string): Promise<void> {
  const [mine] = await db
    .update(transcriptions)
    .set({ status: "failed", error: error.slice(0, 1000), leaseUntil: null, nextAttemptAt: null, updatedAt: new Date() })
    .where(stillLeased(job))
    .returning({ id: transcriptions.id });
  if (!mine) return;
  log.warn("transcription failed", { messageId: job.message_id, error });
  await settleFailed(job.message_id, error);
}

/** A voice note that will have no words: its message says why (inbox, API), live, then automation hears it as it is. */
async function settleFailed(messageId: string, error: string): Promise<void> {
  await db.transaction(async (tx) => {
    const where = await noteTranscriptionFailure(messageId, error.slice(0, 1000), tx);
    if (!where) return;
    const [instance] = await tx
      .select({ organizationId: instances.organizationId, createdByDeviceId: instances.createdByDeviceId })
      .from(instances)
      .where(eq(instances.id, where.instanceId));
    const topic = instance ? inboxTopic(instance) : null;
    if (topic) await publishLive(topic, { conversationId: where.conversationId, messageId, status: "transcription_failed" }, tx);
  });
  await settle(messageId, null);
}

/** Hands the settled message, as automation knows it, to every subscriber (after the outcome committed). */
async function settle(messageId: string, transcript: string | null): Promise<void> {
  const [row] = await db
    .select({ message: messages, instance: instances, contact: contacts, conversation: conversations })
    .from(messages)
    .innerJoin(instances, eq(instances.id, messages.instanceId))
    .innerJoin(contacts, eq(contacts.id, messages.contactId))
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(eq(messages.id, messageId))
    .limit(1);
  if (!row) return;
  for (const hook of [...onTranscriptionSettled]) {
    try {
      await hook({ ...row, transcript });
    } catch (err) {
      log.error("transcription hook failed", { messageId, err });
    }
  }
}

/** Whether any of these messages is a voice note still being transcribed (a workflow's turn waits for it). */
export async function awaitingTranscription(messageIds: string[]): Promise<boolean> {
  if (messageIds.length === 0) return false;
  const open: TranscriptionStatus[] = ["waiting", "pending"];
  const [row] = await db
    .select({ id: transcriptions.id })
    .from(transcriptions)
    .where(and(inArray(transcriptions.messageId, messageIds), inArray(transcriptions.status, open)))
    .limit(1);
  return !!row;
}
