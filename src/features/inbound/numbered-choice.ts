import { and, desc, eq, ne } from "drizzle-orm";
import { db } from "@/db/client";
import { messages, type Instance } from "@/db/schema";
import { providerFor } from "@/providers";
import { type InteractivePayload, NUMBER_ANSWER, numberedChoice } from "@/providers/features";
import { messageChanges } from "./message-changes";
import type { Message } from "./message-store";

/**
 * Buttons and lists sent as numbered text (WuzAPI with the organization's "numbered text" choice): a
 * contact answering the number of an option of the conversation's last message of ours gets
 * `context.interactive = {kind, id, title}` of that option, as a native reply would, so triggers and
 * flow choices match its id. One indexed lookup, only for short numeric texts on such providers, after
 * the batched insert (only a text matching NUMBER_ANSWER is worth the lookup); answers the message as
 * changed, or undefined when it is not such an answer.
 */
export async function withNumberedChoice(instance: Instance, message: Message): Promise<Message | undefined> {
  if (message.type !== "text" || message.context?.interactive || !NUMBER_ANSWER.test(message.body ?? "")) return undefined;
  if (!providerFor(instance).numberedInteractive) return undefined;
  const [last] = await db
    .select({ type: messages.type, media: messages.media })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, message.conversationId),
        eq(messages.direction, "outbound"),
        eq(messages.isPrivateNote, false),
        ne(messages.type, "reaction"),
      ),
    )
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(1);
  const interactive = (last?.media as { interactive?: InteractivePayload } | null)?.interactive;
  if (last?.type !== "interactive" || !interactive || interactive.asText === false) return undefined;
  const choice = numberedChoice(interactive, message.body ?? "");
  if (!choice) return undefined;
  // The row belongs to the messages feature, which applies the change (message-changes.ts).
  const changed = await messageChanges.choice({ messageId: message.id, interactive: choice }, db);
  return changed;
}
