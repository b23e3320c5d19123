import { eq, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { messages } from "@/db/schema";
import { refreshLastMessagePreview } from "@/features/conversations/conversation.previews";
import { messagePreview } from "@/features/inbound/message-store";

/**
 * Stores what a voice note or audio message says (the transcription feature calls it inside the
 * transaction that records `message.transcribed`; the messages feature owns the table). A voice note
 * without a caption that is still its conversation's last message lends the transcript to the list's
 * preview ("[audio] what was said"). Returns whether the message still exists.
 */
export async function setMessageTranscript(messageId: string, transcript: string, tx: DbOrTx = db): Promise<boolean> {
  const [row] = await tx
    .update(messages)
    .set({ transcript, updatedAt: new Date() })
    .where(eq(messages.id, messageId))
    .returning({ id: messages.id, conversationId: messages.conversationId, type: messages.type, body: messages.body });
  if (!row) return false;
  if (!row.body?.trim() && transcript.trim()) {
    await refreshLastMessagePreview(row, { before: messagePreview(row.type, row.body), after: messagePreview(row.type, transcript) }, tx);
  }
  return true;
}

/**
 * A voice note whose transcription failed: its media jsonb says so (`transcription: {status: "failed",
 * error}`), so the inbox and the API show why it has no words. Returns where the message is, for the
 * live update, or null when it is gone.
 */
export async function noteTranscriptionFailure(
  messageId: string,
  error: string,
  tx: DbOrTx = db,
): Promise<{ instanceId: string; conversationId: string } | null> {
  const note = JSON.stringify({ transcription: { status: "failed", error } });
  const [row] = await tx
    .update(messages)
    .set({ media: sql`coalesce(${messages.media}, '{}'::jsonb) || ${note}::jsonb`, updatedAt: new Date() })
    .where(eq(messages.id, messageId))
    .returning({ instanceId: messages.instanceId, conversationId: messages.conversationId });
  return row ?? null;
}
