import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { media, type messages } from "@/db/schema";
import { mediaStore } from "@/features/media/media.store";

/**
 * The stored audio of a message, read from the media feature's store (its `media` row for the message,
 * once the media worker stored it), or null when there is none (not stored, failed, expired).
 */
export async function readStoredAudio(message: Pick<typeof messages.$inferSelect, "id">): Promise<{ bytes: Uint8Array; mimeType: string | null } | null> {
  const [row] = await db
    .select({ storageKey: media.storageKey, mimeType: media.mimeType, declared: media.declaredMimeType })
    .from(media)
    .where(and(eq(media.messageId, message.id), eq(media.status, "stored")))
    .limit(1);
  if (!row?.storageKey) return null;
  const bytes = await mediaStore().read(row.storageKey);
  return { bytes, mimeType: row.mimeType ?? row.declared };
}
