import { z } from "zod";
import { CONVERSATION_STATUSES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const CONVERSATION_LIMITS = {
  pageDefault: 30,
  pageMax: 100,
  messagesDefault: 50,
  messagesMax: 200,
  departmentMax: 60,
  replyMax: 4096,
  searchMin: 2,
  searchMax: 200,
  bulkMax: 100,
} as const;

const uuidOrEmpty = z.union([z.uuid(), z.literal("")]);
/** A calendar day as date inputs send it. */
export const isoDay = z.iso.date();

export const conversationListQuerySchema = z.object({
  status: z.enum([...CONVERSATION_STATUSES, "all"]).optional(),
  instanceId: z.uuid().optional(),
  contactId: z.uuid().optional(),
  /** A user id, `none` (unassigned) or `any` (default: no filter). */
  assigned: z.union([z.uuid(), z.enum(["none", "any"])]).optional(),
  handledBy: z.enum(["bot", "human"]).optional(),
  /** Conversations of blocked contacts: `false` (default) leaves them out, `true` lists only them, `any` both. */
  blocked: z.enum(["true", "false", "any"]).optional(),
  /** A department id, or `none` (not routed to any department). */
  departmentId: z.union([z.uuid(), z.literal("none")]).optional(),
  /** Only conversations carrying this label. */
  labelId: z.uuid().optional(),
  /** `true`: only conversations with unread messages. */
  unread: z.enum(["true", "false"]).optional(),
  /** Last message on or after this day (`YYYY-MM-DD`, the organization's time zone). */
  from: isoDay.optional(),
  /** Last message on or before this day (`YYYY-MM-DD`, the organization's time zone). */
  to: isoDay.optional(),
  limit: z.coerce.number().int().min(1).max(CONVERSATION_LIMITS.pageMax).default(CONVERSATION_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type ConversationListQuery = z.output<typeof conversationListQuerySchema>;

export const messageListQuerySchema = z.object({
  /** `desc` (default) is newest first; `asc` oldest first. */
  order: z.enum(["asc", "desc"]).default("desc"),
  limit: z.coerce.number().int().min(1).max(CONVERSATION_LIMITS.messagesMax).default(CONVERSATION_LIMITS.messagesDefault),
  cursor: z.string().max(200).optional(),
});
export type MessageListQuery = z.output<typeof messageListQuerySchema>;

/** `userId: null` unassigns; the user must be a member of the organization (else 422). */
export const assignSchema = z.object({
  userId: z.union([z.uuid(), z.null()]).optional(),
  department: z
    .string()
    .trim()
    .max(CONVERSATION_LIMITS.departmentMax)
    .transform((v) => (v === "" ? null : v))
    .nullable()
    .optional(),
});
export type AssignInput = z.output<typeof assignSchema>;

/** The admin form posts `userId=""` for "unassigned". */
export const assignFormSchema = z.object({
  userId: uuidOrEmpty.transform((v) => (v === "" ? null : v)),
  department: assignSchema.shape.department,
});

export const handoffSchema = z.object({
  /** `human` (default) stops every automation until resolved; `bot` gives the conversation back. */
  to: z.enum(["human", "bot"]).default("human"),
});

export const statusFormSchema = z.object({ status: z.enum(CONVERSATION_STATUSES) });

/** The inbox reply box: `kind=note` stores a private note, anything else sends to WhatsApp. */
export const replyFormSchema = z.object({
  body: z
    .string()
    .trim()
    .min(1, { error: () => tText("inbox:errors.writeMessage") })
    .max(CONVERSATION_LIMITS.replyMax, { error: () => tText("inbox:errors.atMost", { count: CONVERSATION_LIMITS.replyMax }) }),
  kind: z.enum(["reply", "note"]).default("reply"),
});

/** A reply with an attachment: the text is its caption, so it may be empty. */
export const replyWithAttachmentSchema = replyFormSchema.extend({
  body: z
    .string()
    .trim()
    .max(CONVERSATION_LIMITS.replyMax, { error: () => tText("inbox:errors.atMost", { count: CONVERSATION_LIMITS.replyMax }) })
    .default(""),
});

export const conversationIdParams = z.object({ id: z.string().max(64) });

/** Full-text search over the tenant's messages (Portuguese stemming: "pagamentos" finds "pagamento"). */
export const messageSearchQuerySchema = z.object({
  q: z.string().trim().min(CONVERSATION_LIMITS.searchMin).max(CONVERSATION_LIMITS.searchMax),
  limit: z.coerce.number().int().min(1).max(CONVERSATION_LIMITS.pageMax).default(CONVERSATION_LIMITS.pageDefault),
});
export type MessageSearchQuery = z.output<typeof messageSearchQuerySchema>;

/** Bulk actions on selected conversations; each one is checked like the single action. */
export const bulkActionSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("assign"), ids: z.array(z.uuid()).min(1).max(CONVERSATION_LIMITS.bulkMax), userId: z.union([z.uuid(), z.null()]) }),
  z.object({ action: z.literal("resolve"), ids: z.array(z.uuid()).min(1).max(CONVERSATION_LIMITS.bulkMax) }),
  z.object({
    action: z.enum(["add_label", "remove_label"]),
    ids: z.array(z.uuid()).min(1).max(CONVERSATION_LIMITS.bulkMax),
    labelId: z.uuid(),
  }),
]);
export type BulkAction = z.output<typeof bulkActionSchema>;
