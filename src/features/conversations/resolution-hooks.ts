import type { Caller } from "@/lib/caller";
import { log } from "@/lib/logger";
import type { ConversationRow } from "./conversation.service";

/** What a feature above conversations learns when one is resolved (after the resolution committed). */
export type ResolvedConversation = { caller: Caller; row: ConversationRow; reason: string | null };

/**
 * Subscribers to resolutions (the satisfaction survey is sent from here); src/routes.ts wires them, so
 * conversations imports none of them. Run after commit, also for a resolve that changed nothing: each
 * subscriber is idempotent. A failing one is logged, never fails the resolution.
 */
export const onConversationResolved: ((resolved: ResolvedConversation) => Promise<void>)[] = [];

export async function runResolvedHooks(resolved: ResolvedConversation): Promise<void> {
  for (const hook of [...onConversationResolved]) {
    try {
      await hook(resolved);
    } catch (err) {
      log.error("conversation resolved hook failed", { conversationId: resolved.row.conversation.id, err });
    }
  }
}
