import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { media, type messages } from "@/db/schema";
import { readMedia } from "@/features/media/media.service";

/**
 * The stored audio of a message, through the media feature: the media row its jsonb names (`mediaId`),
 * or else the row that names it. Null when there is none stored (pending, failed, expired).
 */
export async function readStoredAudio(
  message: Pick<typeof messages.$inferSelect, "id" | "media">,
): Promise<{ bytes: Uint8Array; mimeType: string | null } | null> {
  let mediaId = typeof message.media?.mediaId === "string" ? message.media.mediaId : null;
  if (!mediaId) {
    const [row] = await db.select({ id: media.id }).from(media).where(eq(media.messageId, message.id)).limit(1);
    mediaId = row?.id ?? null;
  }
  const content = mediaId ? await readMedia(mediaId) : null;
  return content ? { bytes: content.bytes, mimeType: content.mimeType } : null;
}
