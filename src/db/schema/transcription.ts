import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { messages } from "./messaging";
import { organizations } from "./tenancy";

/**
 * `waiting`: the audio is not stored yet (the media worker is fetching it); `pending`: due for the
 * transcription worker; `completed` and `failed` are final (each settles the message's automation once).
 */
export const TRANSCRIPTION_STATUSES = ["waiting", "pending", "completed", "failed"] as const;
export type TranscriptionStatus = (typeof TRANSCRIPTION_STATUSES)[number];

/** An organization's voice transcription: off unless enabled; endpoint, key and model default to TRANSCRIBE_*. */
export const transcriptionSettings = pgTable("transcription_settings", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  enabled: boolean().notNull().default(false),
  /** Null = the operator's TRANSCRIBE_BASE_URL. Any other endpoint needs its own key and passes the outbound guard. */
  baseUrl: text(),
  /** The organization's own key, encrypted (lib/crypto); sent only to `baseUrl`, dropped when the base URL changes. */
  apiKeyEnc: text(),
  /** Null = TRANSCRIBE_MODEL. */
  model: text(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * One voice note or audio message's transcription: the work queue of the transcription worker and
 * the record of its outcome (the transcript itself is on the message).
 */
export const transcriptions = pgTable(
  "transcriptions",
  {
    /** Its own id: the job mechanism (src/workers/jobs.ts) claims rows by `id`. */
    id: id(),
    messageId: uuid()
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    status: text({ enum: TRANSCRIPTION_STATUSES }).notNull(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: tstz(),
    /** A worker owns the row until then (a crashed worker's claim expires by itself). */
    leaseUntil: tstz(),
    /** Why it failed, in our own words (never the upstream's body). */
    error: text(),
    model: text(),
    /** The language hint sent (`pt` for pt-BR organizations), if any. */
    language: text(),
    completedAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    /** One transcription per message, whoever asks first (the inbound hook or the stored media). */
    uniqueIndex("transcriptions_message_unique").on(t.messageId),
    index("transcriptions_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("transcriptions_waiting_idx").on(t.createdAt).where(sql`status = 'waiting'`),
  ],
);
