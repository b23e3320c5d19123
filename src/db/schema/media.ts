import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { devices, instances, organizations } from "./tenancy";

export const MEDIA_STATUSES = ["pending", "stored", "failed", "expired"] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

/**
 * One file a contact sent (inbound, fetched by the media worker) or a tenant uploaded (POST /v1/media).
 * The bytes live in the media store (disk or S3) under their sha256: two rows with the same content share
 * one stored object. The row outlives its bytes: retention deletes the object and marks the row expired,
 * which is the "expired" marker its message shows.
 */
export const media = pgTable(
  "media",
  {
    id: id(),
    /**
     * Null while the instance is unclaimed (try before sign-up); `deviceId` owns it then. Deleting the
     * organization, device or instance sets these null instead of deleting the row: a row owned by
     * neither an organization nor a device is an orphan whose file the retention sweeper removes
     * (a cascade would drop the row and leave its content-addressed file behind for good).
     */
    organizationId: uuid().references(() => organizations.id, { onDelete: "set null" }),
    deviceId: uuid().references(() => devices.id, { onDelete: "set null" }),
    instanceId: uuid().references(() => instances.id, { onDelete: "set null" }),
    direction: text({ enum: ["inbound", "upload"] }).notNull(),
    /** Inbound: the message it belongs to, by its provider id (unique per instance: a redelivered webhook reuses the row). */
    providerMessageId: text(),
    messageId: uuid(),
    status: text({ enum: MEDIA_STATUSES }).notNull().default("pending"),
    /** Where the bytes are until fetched: {kind: "spool", key} | {kind: "url", url} | {kind: "cloud_media", id}. Cleared once stored. */
    source: jsonb().$type<Record<string, unknown>>(),
    /** The type WhatsApp (or the uploader) declared. */
    declaredMimeType: text(),
    /** What the stored bytes are: the sniffed type when file-type recognizes them, else the declared one. */
    mimeType: text(),
    /** Sniffed type differs from the declared one (kept, shown, and the sniffed type served). */
    mimeMismatch: boolean().notNull().default(false),
    fileName: text(),
    size: bigint({ mode: "number" }),
    /** Hex sha256 of the bytes: the store key, so identical files are stored once. */
    sha256: text(),
    storageKey: text(),
    error: text(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: tstz(),
    leaseUntil: tstz(),
    storedAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("media_instance_provider_message_unique").on(t.instanceId, t.providerMessageId),
    index("media_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("media_org_created_idx").on(t.organizationId, t.createdAt),
    index("media_sha256_idx").on(t.sha256),
  ],
);
