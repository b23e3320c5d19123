import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNotNull, isNull, ne, sql } from "drizzle-orm";
import { fileTypeFromBuffer } from "file-type";
import { config } from "@/config";
import { db, notify, rowsOf, type DbOrTx } from "@/db/client";
import { instances, knowledgeDocuments, media, messages, organizations, type Instance, type MediaStatus } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { countMediaDownload } from "@/features/metrics/metrics";
import { AppError, validationFailed } from "@/lib/errors";
import { tText, type Locale } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { formatBytes, signedMediaUrl } from "@/lib/media-url";
import { guardedFetch, OutboundError, TargetRefused } from "@/lib/outbound";
import { port } from "@/lib/port";
import { tenantFilter, type Tenant } from "@/lib/tenant";
import { providerFor } from "@/providers";
import { type Backoff, backoffDelayMs } from "@/workers/jobs";
import { ProviderError, type InboundEvent, type InboundMedia } from "@/providers/provider";
import { contentKey, mediaStore } from "./media.store";

export type Media = typeof media.$inferSelect;
type InboundMessageEvent = Extract<InboundEvent, { kind: "message" }>;

/** Channel the media workers LISTEN on, so accepted media is fetched at once instead of on the next poll. */
export const MEDIA_QUEUED_CHANNEL = "livchat_media_queued";
/**
 * Wait before attempt n+1 after n downloads (jobs.backoffDelayMs): at once, then 5 s, 30 s, 2 min, 10 min,
 * 1 h; the 6th failure is final.
 */
export const MEDIA_BACKOFF: Backoff = { scheduleMs: [0, 5_000, 30_000, 120_000, 600_000, 3_600_000] };
export const MEDIA_MAX_ATTEMPTS = MEDIA_BACKOFF.scheduleMs.length;
/** One download's limit (the Graph lookup and the bytes each get it). */
export const mediaHttp = { timeoutMs: 60_000 };

/**
 * What the media feature needs of the messages feature, which sits above it (messages sends uploads):
 * write a message's media jsonb (status, type, size) when its media was stored, failed or expired, and
 * tell the inbox. Plugged by src/routes.ts. Resolves to the message's id, or null when there is none.
 */
export const messageMediaNote =
  port<(instance: Instance, note: { providerMessageId: string; mediaId: string; patch: Record<string, unknown> }) => Promise<{ messageId: string } | null>>(
    "media.messageMediaNote",
  );

// ——— JSON ———

export type MediaJson = {
  id: string;
  direction: Media["direction"];
  status: MediaStatus;
  mimeType: string | null;
  declaredMimeType: string | null;
  mimeMismatch: boolean;
  fileName: string | null;
  size: number | null;
  sha256: string | null;
  error: string | null;
  messageId: string | null;
  /** Signed, short-lived (MEDIA_URL_TTL_SECONDS) link to the bytes; null until stored and after expiry. */
  url: string | null;
  urlExpiresAt: string | null;
  createdAt: string;
  storedAt: string | null;
};

export function mediaJson(row: Media, now = new Date()): MediaJson {
  const signed = row.status === "stored" ? signedMediaUrl(row.id, { now }) : null;
  return {
    id: row.id,
    direction: row.direction,
    status: row.status,
    mimeType: row.mimeType,
    declaredMimeType: row.declaredMimeType,
    mimeMismatch: row.mimeMismatch,
    fileName: row.fileName,
    size: row.size,
    sha256: row.sha256,
    error: row.error,
    messageId: row.messageId,
    url: signed?.url ?? null,
    urlExpiresAt: signed?.expiresAt.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    storedAt: row.storedAt?.toISOString() ?? null,
  };
}

// ——— Types and sniffing ———

/** `audio/ogg; codecs=opus` → `audio/ogg`. */
function baseType(mime: string | null | undefined): string | null {
  const base = mime?.split(";")[0]?.trim().toLowerCase();
  return base || null;
}

/** Names that mean the same container (file-type's name on the left, what WhatsApp or browsers declare on the right). */
const SAME_TYPE: Record<string, string[]> = {
  "audio/x-m4a": ["audio/mp4", "audio/m4a", "audio/aac"],
  "audio/mpeg": ["audio/mp3"],
  "audio/ogg": ["audio/opus", "application/ogg"],
  "video/mp4": ["video/mpeg4"],
  "image/jpeg": ["image/jpg", "image/pjpeg"],
  "audio/wav": ["audio/x-wav", "audio/wave"],
};

function sameType(sniffed: string, declared: string): boolean {
  return sniffed === declared || (SAME_TYPE[sniffed]?.includes(declared) ?? false);
}

type Sniffed = { mimeType: string; sniffed: string | null; mismatch: boolean };

/** The type to serve: what the bytes are (file-type) when recognized, else what was declared; a disagreement is recorded. */
export async function sniffMedia(bytes: Uint8Array, declared: string | null | undefined): Promise<Sniffed> {
  const sniffed = (await fileTypeFromBuffer(bytes).catch(() => undefined))?.mime ?? null;
  const declaredBase = baseType(declared);
  const mismatch = !!sniffed && !!declaredBase && !sameType(sniffed, declaredBase);
  return { mimeType: sniffed ?? declaredBase ?? "application/octet-stream", sniffed, mismatch };
}

function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/** Stores bytes under their sha256 unless an identical file is already there (dedupe). */
async function storeContent(bytes: Uint8Array, mimeType: string): Promise<{ sha256: string; key: string }> {
  const sha256 = sha256Hex(bytes);
  const key = contentKey(sha256);
  const store = mediaStore();
  if (!(await store.exists(key))) await store.put(key, bytes, mimeType);
  return { sha256, key };
}

// ——— Inbound: accepting on the webhook path ———

/** WuzAPI may still hand inline bytes as a data URL in `media.url` (older parser shape): they are spooled too. */
function dataUrlAttachment(event: InboundMessageEvent): InboundMedia | undefined {
  const url = event.media?.url;
  if (typeof url !== "string" || !url.startsWith("data:")) return undefined;
  const mime = /^data:([^;,]+)/.exec(url)?.[1];
  return { source: { kind: "base64", data: url }, ...(mime ? { mimeType: mime } : {}) };
}

function decodeBase64(data: string): Uint8Array {
  const comma = data.startsWith("data:") ? data.indexOf(",") : -1;
  return new Uint8Array(Buffer.from(comma >= 0 ? data.slice(comma + 1) : data, "base64"));
}

/**
 * Called by the inbound service for every message before it is stored: a message with an attachment
 * gets a `media` row (pending) and its media jsonb names it (`mediaId`, `status`). Inline (base64)
 * bytes are spooled to the media store and never reach the jsonb; links and Cloud media ids are kept
 * for the worker, which does the fetching, hashing and sniffing after the webhook was answered. A
 * redelivered webhook finds the row of its first delivery (unique per instance and provider message
 * id) and reuses it. Returns the event to store.
 */
export async function acceptInboundMedia(instance: Instance, event: InboundMessageEvent): Promise<InboundMessageEvent> {
  const attachment = event.attachment ?? dataUrlAttachment(event);
  if (!attachment || !event.providerMessageId) return event;
  const source = attachment.source;
  let stored: Record<string, unknown>;
  let spoolKey: string | null = null;
  if (attachment.refused) {
    // Refused on the webhook path (inline bytes past the body limit): recorded as too large, never fetched.
    stored = { kind: "too_large", size: attachment.refused.size };
  } else if (!source) {
    stored = { kind: "none" };
  } else if (source.kind === "base64") {
    const bytes = decodeBase64(source.data);
    if (bytes.byteLength > config.media.maxBytes) {
      stored = { kind: "too_large", size: bytes.byteLength };
    } else {
      spoolKey = `spool/${randomUUID()}`;
      await mediaStore().put(spoolKey, bytes);
      stored = { kind: "spool", key: spoolKey };
    }
  } else if (attachment.size !== undefined && attachment.size > config.media.maxBytes) {
    stored = { kind: "too_large", size: attachment.size };
  } else {
    stored = source.kind === "url" ? { kind: "url", url: source.url } : { kind: "cloud_media", id: source.id };
  }
  const [inserted] = await db
    .insert(media)
    .values({
      organizationId: instance.organizationId,
      deviceId: instance.organizationId ? null : instance.createdByDeviceId,
      instanceId: instance.id,
      direction: "inbound",
      providerMessageId: event.providerMessageId,
      status: "pending",
      source: stored,
      declaredMimeType: attachment.mimeType ?? null,
      fileName: attachment.fileName ?? null,
      size: attachment.size ?? null,
      nextAttemptAt: new Date(),
    })
    .onConflictDoNothing({ target: [media.instanceId, media.providerMessageId] })
    .returning({ id: media.id, status: media.status });
  let row = inserted;
  if (row) {
    await notify(MEDIA_QUEUED_CHANNEL, "");
  } else {
    if (spoolKey) await mediaStore().delete(spoolKey);
    [row] = await db
      .select({ id: media.id, status: media.status })
      .from(media)
      .where(and(eq(media.instanceId, instance.id), eq(media.providerMessageId, event.providerMessageId)))
      .limit(1);
  }
  const { url: _inline, ...rest } = event.media ?? {};
  const keepUrl = typeof _inline === "string" && !_inline.startsWith("data:") ? { url: _inline } : {};
  const described = {
    ...(attachment.mimeType ? { mimeType: attachment.mimeType } : {}),
    ...(attachment.fileName ? { fileName: attachment.fileName } : {}),
    ...(attachment.caption ? { caption: attachment.caption } : {}),
    ...(attachment.size !== undefined ? { size: attachment.size } : {}),
    ...(attachment.seconds !== undefined ? { seconds: attachment.seconds } : {}),
    ...(attachment.voice ? { voice: true } : {}),
    ...(attachment.videoNote ? { videoNote: true } : {}),
    ...(attachment.animated ? { animated: true } : {}),
  };
  return { ...event, media: { ...rest, ...keepUrl, ...described, mediaId: row?.id ?? null, status: row?.status ?? "failed" } };
}

// ——— The worker: fetch, cap, hash, sniff, store ———

/** A download that did not work: `retryable` ones are tried again on MEDIA_BACKOFF. */
class MediaFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const tooLarge = () => new MediaFailure(tText("media:errors.tooLarge", { max: formatBytes(config.media.maxBytes) }), false);

/** Reads a body up to MEDIA_MAX_BYTES; more is refused without reading the rest. */
async function readCapped(res: Response): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > config.media.maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > config.media.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof MediaFailure) throw err;
    throw new MediaFailure(tText("media:errors.interrupted"), true);
  }
  return Buffer.concat(chunks);
}

function downloadFailure(err: unknown): MediaFailure {
  if (err instanceof MediaFailure) return err;
  if (err instanceof ProviderError) return new MediaFailure(tText("media:errors.download", { reason: err.message }), err.retryable);
  if (err instanceof TargetRefused) return new MediaFailure(tText("media:errors.refused", { reason: err.message }), false);
  if (err instanceof OutboundError) {
    const retryable = err.timedOut || err.status === null || err.status >= 500 || err.status === 429 || err.status === 408;
    return new MediaFailure(tText("media:errors.download", { reason: err.message }), retryable);
  }
  return new MediaFailure(tText("media:errors.download", { reason: err instanceof Error ? err.message : String(err) }), true);
}

async function fetchBytes(row: Media, instance: Instance | null): Promise<{ bytes: Uint8Array; declaredMime?: string }> {
  const source = (row.source ?? {}) as { kind?: string; key?: string; url?: string; id?: string };
  switch (source.kind) {
    case "spool": {
      try {
        return { bytes: await mediaStore().read(source.key!) };
      } catch {
        throw new MediaFailure(tText("media:errors.spoolMissing"), false);
      }
    }
    case "too_large":
      throw tooLarge();
    case "url":
    case "cloud_media": {
      if (!instance) throw new MediaFailure(tText("media:errors.noInstance"), false);
      const provider = providerFor(instance);
      try {
        if (provider.downloadMedia) {
          const got = await provider.downloadMedia(
            instance,
            source.kind === "url" ? { kind: "url", url: source.url! } : { kind: "cloud_media", id: source.id! },
          );
          if (got.size !== undefined && got.size > config.media.maxBytes) {
            await got.body.body?.cancel().catch(() => {});
            throw tooLarge();
          }
          return { bytes: await readCapped(got.body), declaredMime: got.mimeType };
        }
        if (source.kind === "cloud_media") throw new MediaFailure(tText("media:errors.noSource"), false);
        const res = await guardedFetch(source.url!, {}, { timeoutMs: mediaHttp.timeoutMs });
        return { bytes: await readCapped(res) };
      } catch (err) {
        throw downloadFailure(err);
      }
    }
    default:
      throw new MediaFailure(tText("media:errors.noSource"), false);
  }
}

/** A claimed download with what running it needs: the instance (provider, token) and the organization's language. */
export type ClaimedMedia = { row: Media; instance: Instance | null; locale: Locale | null; timeZone: string | null };

/** The rows the media worker claimed (src/workers/media.worker.ts, through the job mechanism), with their instance and organization. */
export async function loadClaimedMedia(ids: string[]): Promise<ClaimedMedia[]> {
  if (ids.length === 0) return [];
  return db
    .select({ row: media, instance: instances, locale: organizations.language, timeZone: organizations.timeZone })
    .from(media)
    .leftJoin(instances, eq(instances.id, media.instanceId))
    .leftJoin(organizations, eq(organizations.id, media.organizationId))
    .where(inArray(media.id, ids));
}

/** How long a download waits for its message to be stored before going ahead without it (a failed batch). */
const MESSAGE_WAIT_MS = 500;
const MESSAGE_WAIT_LIMIT_MS = 60_000;

async function messageNotStoredYet(row: Media): Promise<boolean> {
  if (row.direction !== "inbound" || row.messageId || !row.instanceId || !row.providerMessageId) return false;
  if (Date.now() - row.createdAt.getTime() > MESSAGE_WAIT_LIMIT_MS) return false;
  const [found] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.instanceId, row.instanceId), eq(messages.providerMessageId, row.providerMessageId)))
    .limit(1);
  return !found;
}

/** One claimed download to its end: stored, retried later, or failed (visible on the message and as `media.status`). */
export async function processMedia(c: ClaimedMedia): Promise<void> {
  const { row, instance } = c;
  if (await messageNotStoredYet(row)) {
    // Accepted just before its message's batch committed: the message must exist to be told the outcome.
    await db
      .update(media)
      .set({ leaseUntil: null, nextAttemptAt: new Date(Date.now() + MESSAGE_WAIT_MS) })
      .where(and(eq(media.id, row.id), eq(media.status, "pending")));
    return;
  }
  try {
    const { bytes, declaredMime } = await fetchBytes(row, instance);
    const declared = row.declaredMimeType ?? declaredMime ?? null;
    const sniffed = await sniffMedia(bytes, declared);
    const { sha256, key } = await storeContent(bytes, sniffed.mimeType);
    const [stored] = await db
      .update(media)
      .set({
        status: "stored",
        declaredMimeType: declared,
        mimeType: sniffed.mimeType,
        mimeMismatch: sniffed.mismatch,
        size: bytes.byteLength,
        sha256,
        storageKey: key,
        source: null,
        error: null,
        leaseUntil: null,
        nextAttemptAt: null,
        attempts: sql`${media.attempts} + 1`,
        storedAt: new Date(),
      })
      .where(and(eq(media.id, row.id), eq(media.status, "pending")))
      .returning();
    const spool = (row.source as { kind?: string; key?: string } | null)?.kind === "spool" ? (row.source as { key: string }).key : null;
    if (spool) await mediaStore().delete(spool);
    if (stored) {
      countMediaDownload(instance?.provider ?? "unknown", sniffed.mismatch ? "stored_type_mismatch" : "stored");
      if (sniffed.mismatch) log.warn("media type differs from the declared type", { mediaId: row.id, declared, sniffed: sniffed.sniffed });
      await announce(stored, instance, {
        mimeType: stored.mimeType,
        size: stored.size,
        ...(stored.mimeMismatch ? { mimeMismatch: true, declaredMimeType: declared } : {}),
      });
    }
  } catch (err) {
    const failure = downloadFailure(err);
    await recordFailure(c, failure);
  }
}

async function recordFailure(c: ClaimedMedia, failure: MediaFailure): Promise<void> {
  const attempts = c.row.attempts + 1;
  const error = failure.message.slice(0, 1000);
  const delayMs = failure.retryable ? backoffDelayMs(MEDIA_BACKOFF, attempts) : null;
  countMediaDownload(c.instance?.provider ?? "unknown", delayMs !== null ? "retry" : "failed");
  if (delayMs !== null) {
    await db
      .update(media)
      .set({ attempts, error, leaseUntil: null, nextAttemptAt: new Date(Date.now() + delayMs) })
      .where(and(eq(media.id, c.row.id), eq(media.status, "pending")));
    log.info("media download will be retried", { mediaId: c.row.id, attempts, inSeconds: delayMs / 1000, error });
    return;
  }
  const finalError = failure.retryable ? tText("media:errors.gaveUp", { error, count: attempts }) : error;
  const [failed] = await db
    .update(media)
    .set({ status: "failed", attempts, error: finalError, leaseUntil: null, nextAttemptAt: null })
    .where(and(eq(media.id, c.row.id), eq(media.status, "pending")))
    .returning();
  const spool = (c.row.source as { kind?: string; key?: string } | null)?.kind === "spool" ? (c.row.source as { key: string }).key : null;
  if (spool) await mediaStore().delete(spool);
  if (failed) {
    log.warn("media download failed", { mediaId: c.row.id, attempts, error: finalError });
    await announce(failed, c.instance, { error: finalError });
  }
}

/**
 * Subscribers told when an inbound file settles — stored, or failed for good — after the outcome was
 * recorded (voice transcription starts from a stored file, and settles its message when the file will
 * never come); a failing one is logged without affecting the others. Wired in src/routes.ts.
 */
export const onMediaSettled: ((row: Media) => Promise<void> | void)[] = [];

/**
 * Tells the message (its media jsonb, the inbox) and the organization (`media.status`) what became of
 * the media. The event carries a signed URL valid MEDIA_URL_TTL_SECONDS; `GET /v1/media/:id` signs a
 * fresh one at any time.
 */
async function announce(row: Media, instance: Instance | null, patch: Record<string, unknown>): Promise<string | null> {
  let messageId = row.messageId;
  if (instance && row.providerMessageId) {
    const noted = await messageMediaNote(instance, { providerMessageId: row.providerMessageId, mediaId: row.id, patch: { status: row.status, ...patch } });
    if (noted && noted.messageId !== row.messageId) {
      messageId = noted.messageId;
      await db.update(media).set({ messageId }).where(eq(media.id, row.id));
    }
  }
  for (const hook of [...onMediaSettled]) {
    try {
      await hook({ ...row, messageId });
    } catch (err) {
      log.error("media settled hook failed", { mediaId: row.id, err });
    }
  }
  if (!row.organizationId && !row.deviceId) return messageId;
  await recordEvent({
    organizationId: row.organizationId,
    instanceId: row.instanceId,
    deviceId: row.organizationId ? null : row.deviceId,
    type: "media.status",
    data: { media: { ...mediaJson({ ...row, messageId }), providerMessageId: row.providerMessageId } },
  });
  return messageId;
}

// ——— Reading ———

/**
 * A media row the caller may see; another organization's id, or a malformed one, is 404 — and so is
 * another instance's media for a key bound to one instance.
 */
export async function getMedia(scope: { tenant: Tenant; instanceId?: string | null }, id: string): Promise<Media> {
  const { tenant } = scope;
  const notFound = () => new AppError("not_found", tText("media:errors.notFound"));
  if (!isUuid(id)) throw notFound();
  const [row] = await db
    .select()
    .from(media)
    .where(and(eq(media.id, id), tenantFilter(tenant, media.organizationId, media.deviceId)))
    .limit(1);
  if (!row || (scope.instanceId && row.instanceId && row.instanceId !== scope.instanceId)) throw notFound();
  return row;
}

/** A stored media row by id, whoever owns it (the signed URL already proved access); null otherwise. */
export async function storedMediaById(id: string): Promise<Media | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select()
    .from(media)
    .where(and(eq(media.id, id), eq(media.status, "stored"), isNotNull(media.storageKey)))
    .limit(1);
  return row ?? null;
}

export type MediaContent = { bytes: Uint8Array; mimeType: string; size: number; fileName: string | null; sha256: string };

/**
 * The bytes of stored media, for LivChat's own use (the outbound worker sending an upload, voice
 * transcription): no tenant check — callers hold an id from a row they were given. Null when the media
 * is not stored (pending, failed, expired).
 */
export async function readMedia(id: string): Promise<MediaContent | null> {
  const row = await storedMediaById(id);
  if (!row) return null;
  const bytes = await mediaStore().read(row.storageKey!);
  return { bytes, mimeType: row.mimeType ?? "application/octet-stream", size: bytes.byteLength, fileName: row.fileName, sha256: row.sha256! };
}

/** The bytes as a stream (the signed URL route). */
export function streamMedia(row: Media): ReadableStream<Uint8Array> {
  return mediaStore().stream(row.storageKey!);
}

/** Sign-up claims a visitor device's media (downloads of its instances, its key's uploads) for the new organization. */
export async function claimDeviceMedia(deviceId: string, organizationId: string, tx: DbOrTx): Promise<void> {
  await tx
    .update(media)
    .set({ organizationId, deviceId: null })
    .where(and(eq(media.deviceId, deviceId), isNull(media.organizationId)));
}

// ——— Uploads ———

/**
 * `POST /v1/media`: stores an uploaded file (capped at MEDIA_MAX_BYTES, hashed, sniffed) and answers
 * its row, whose id `POST /v1/messages` accepts as `media.id`.
 */
export async function createUpload(scope: { tenant: Tenant; instanceId?: string | null }, file: unknown): Promise<Media> {
  if (!(file instanceof Blob)) throw validationFailed([{ path: "file", message: tText("media:errors.fileRequired") }]);
  if (file.size === 0) throw validationFailed([{ path: "file", message: tText("media:errors.fileEmpty") }]);
  if (file.size > config.media.maxBytes) {
    throw validationFailed([{ path: "file", message: tText("media:errors.tooLarge", { max: formatBytes(config.media.maxBytes) }) }]);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const declared = baseType(file.type);
  const sniffed = await sniffMedia(bytes, declared);
  const { sha256, key } = await storeContent(bytes, sniffed.mimeType);
  const name = file instanceof File && file.name ? file.name.slice(0, 256) : null;
  const [row] = await db
    .insert(media)
    .values({
      organizationId: scope.tenant.organizationId,
      deviceId: scope.tenant.organizationId ? null : scope.tenant.deviceId,
      instanceId: scope.instanceId ?? null,
      direction: "upload",
      status: "stored",
      declaredMimeType: declared,
      mimeType: sniffed.mimeType,
      mimeMismatch: sniffed.mismatch,
      fileName: name,
      size: bytes.byteLength,
      sha256,
      storageKey: key,
      storedAt: new Date(),
    })
    .returning();
  return row!;
}

/** An upload named in `POST /v1/messages` (`media.id`): the tenant's, and stored; else 422 on `media.id`. */
export async function mediaForSend(scope: { tenant: Tenant; instanceId?: string | null }, id: string): Promise<Media> {
  const { tenant } = scope;
  const row = isUuid(id)
    ? (
        await db
          .select()
          .from(media)
          .where(and(eq(media.id, id), tenantFilter(tenant, media.organizationId, media.deviceId)))
          .limit(1)
      )[0]
    : undefined;
  // A key bound to one instance sends its organization's uploads and its own instance's files only.
  const foreign = row && scope.instanceId && row.instanceId && row.instanceId !== scope.instanceId;
  if (!row || foreign) throw validationFailed([{ path: "media.id", message: tText("media:errors.unknownForSend") }]);
  if (row.status !== "stored") throw validationFailed([{ path: "media.id", message: tText("media:errors.notStoredForSend", { status: row.status }) }]);
  return row;
}

// ——— Retention ———

/**
 * Rows whose organization (or visitor device) was deleted keep only their file (see the media table):
 * deletes up to `limit` of them with their spooled bytes, and each stored file no remaining row uses.
 * Returns how many rows went.
 */
/**
 * Deletes the stored bytes of these hashes that nothing uses any more: no unexpired media row shares
 * the hash, and no knowledge document keeps its file under the same content key (the knowledge base
 * stores uploads in this store by content, so a file received as media and uploaded there is one object).
 */
async function deleteUnusedContent(sha256s: (string | null)[]): Promise<void> {
  const hashes = [...new Set(sha256s.filter((h): h is string => !!h))];
  if (hashes.length === 0) return;
  const keys = hashes.map(contentKey);
  const [inMedia, inKnowledge] = await Promise.all([
    db
      .selectDistinct({ sha256: media.sha256 })
      .from(media)
      .where(and(inArray(media.sha256, hashes), ne(media.status, "expired"))),
    db.selectDistinct({ key: knowledgeDocuments.storageKey }).from(knowledgeDocuments).where(inArray(knowledgeDocuments.storageKey, keys)),
  ]);
  const kept = new Set([...inMedia.map((r) => r.sha256 && contentKey(r.sha256)), ...inKnowledge.map((r) => r.key)]);
  const store = mediaStore();
  for (const key of keys) if (!kept.has(key)) await store.delete(key);
}

export async function sweepOrphanedMedia(limit = 500): Promise<number> {
  const gone = await db.execute(sql`
    delete from media where id in (
      select id from media where organization_id is null and device_id is null order by created_at limit ${limit}
    )
    returning sha256, source`);
  const rows = rowsOf<{ sha256: string | null; source: { kind?: string; key?: string } | null }>(gone);
  if (rows.length === 0) return 0;
  const store = mediaStore();
  for (const { source } of rows) if (source?.kind === "spool" && source.key) await store.delete(source.key);
  await deleteUnusedContent(rows.map((r) => r.sha256));
  return rows.length;
}

/**
 * Deletes the bytes of media older than its organization's `mediaRetentionDays` and marks the rows
 * expired (the row stays as the marker its message shows, without content, type or name of the bytes'
 * storage); an object is deleted once no unexpired row shares its sha256. Returns how many expired.
 */
export async function sweepExpiredMedia(now = new Date(), limit = 500): Promise<number> {
  const rows = rowsOf<{ id: string; source: { kind?: string; key?: string } | null }>(
    await db.execute(sql`
      select m.id, m.source from media m join organizations o on o.id = m.organization_id
      where o.media_retention_days is not null and m.status <> 'expired'
        and m.created_at < ${now.toISOString()}::timestamptz - make_interval(days => o.media_retention_days)
      order by m.created_at limit ${limit}`),
  );
  if (rows.length === 0) return 0;
  const expired = await db
    .update(media)
    .set({ status: "expired", storageKey: null, source: null, leaseUntil: null, nextAttemptAt: null })
    .where(
      and(
        inArray(
          media.id,
          rows.map((r) => r.id),
        ),
        ne(media.status, "expired"),
      ),
    )
    .returning();
  const store = mediaStore();
  await deleteUnusedContent(expired.map((m) => m.sha256));
  const instanceIds = [...new Set(expired.map((m) => m.instanceId).filter((i): i is string => !!i))];
  const byId = new Map(instanceIds.length ? (await db.select().from(instances).where(inArray(instances.id, instanceIds))).map((i) => [i.id, i] as const) : []);
  for (const { source } of rows) if (source?.kind === "spool" && source.key) await store.delete(source.key);
  for (const row of expired) {
    await announce(row, row.instanceId ? (byId.get(row.instanceId) ?? null) : null, {});
  }
  return expired.length;
}
