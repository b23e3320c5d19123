import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { organizations, users } from "./tenancy";
import { workflows } from "./automation";

/**
 * A team member's direct conversation with an AI agent (seed 003 `dm_conversations`): private to the
 * member, apart from customer threads (no contact, no inbox, no WhatsApp, no webhooks).
 */
export const dmConversations = pgTable(
  "dm_conversations",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** The member whose chat it is: nobody else (not even an owner) reads it. */
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The agent: an AI workflow (openai / anthropic / google through the AI SDK engine). */
    workflowId: uuid()
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    /** The member's name for the chat; null shows the agent's name. */
    title: text(),
    pinned: boolean().notNull().default(false),
    /** Archived chats leave the list and take no new messages until unarchived. */
    archivedAt: tstz(),
    messageCount: integer().notNull().default(0),
    lastMessageAt: tstz(),
    lastReadAt: tstz(),
    /** Agent answers the member has not seen yet. */
    unreadCount: integer().notNull().default(0),
    /** An answer is owed since then: the agent-chat worker claims it (src/workers/jobs.ts). */
    answerDueAt: tstz(),
    /** The worker answering holds the chat until then (a crashed worker's lease runs out). */
    lockedUntil: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("dm_conversations_org_user_idx").on(t.organizationId, t.userId, t.pinned, t.lastMessageAt),
    index("dm_conversations_answer_due_idx").on(t.answerDueAt).where(sql`answer_due_at is not null`),
    index("dm_conversations_workflow_idx").on(t.workflowId),
  ],
);

export const DM_MESSAGE_ROLES = ["user", "assistant", "tool", "error"] as const;

/** The lines of a direct chat: the member's messages, the agent's answers, its tool calls, failed answers. */
export const dmMessages = pgTable(
  "dm_messages",
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => dmConversations.id, { onDelete: "cascade" }),
    /** `error`: the agent could not answer (our short reason; never the upstream's words). */
    role: text({ enum: DM_MESSAGE_ROLES }).notNull(),
    content: text().notNull(),
    /** Tokens the answer used (every step), when the provider reports them. */
    tokens: integer(),
    at: createdAt(),
  },
  (t) => [index("dm_messages_conversation_at_idx").on(t.conversationId, t.at)],
);
