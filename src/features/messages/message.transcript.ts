import { eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { messages } from "@/db/schema";

/**
 * Stores what a voice note or audio message says (the transcription feature calls it inside the
 * transaction that records `message.transcribed`; the messages feature owns the table). Returns
 * whether the message still exists.
 */
export async function setMessageTranscript(messageId: string, transcript: string, tx: DbOrTx = db): Promise<boolean> {
  const rows = await tx.update(messages).set({ transcript, updatedAt: new Date() }).where(eq(messages.id, messageId)).returning({ id: messages.id });
  return rows.length > 0;
}
