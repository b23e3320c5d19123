import { z } from "zod";
import { contacts, conversations, messages } from "@/db/schema";
import { pageOf, rowJson, timestamp } from "@/lib/openapi";

/** The JSON `/v1/conversations` answers (conversationJson, messageJson), documented in /openapi.json. */
export const conversationJsonSchema = rowJson(conversations, [
  "id",
  "instanceId",
  "status",
  "handledBy",
  "assignedUserId",
  "departmentId",
  "resolutionReason",
  "workflowId",
  "aiReplyMode",
  "sentiment",
  "urgency",
  "sentimentReason",
  "sentimentAt",
  "lastMessageAt",
  "lastMessagePreview",
  "unreadCount",
  "resolvedAt",
  "createdAt",
  "updatedAt",
]).extend({
  contact: rowJson(contacts, ["id", "kind", "phone", "name"]),
  /** The department's name (`departmentId` is its id); null when the conversation is not routed. */
  department: z.string().nullable(),
  /** The conversation's labels (organization-defined, separate from contact tags), by name. */
  labels: z.array(z.object({ id: z.string(), name: z.string(), color: z.string() })),
});

export const conversationPageSchema = pageOf(conversationJsonSchema);

export const conversationMessageJsonSchema = rowJson(messages, [
  "id",
  "conversationId",
  "instanceId",
  "contactId",
  "direction",
  "type",
  "body",
  "status",
  "error",
  "sentBy",
  "userId",
  "isPrivateNote",
  "providerMessageId",
  "createdAt",
  "sentAt",
  "deliveredAt",
  "readAt",
  "failedAt",
]).extend({
  media: z.record(z.string(), z.unknown()).nullable(),
  /** In a group conversation: the participant who wrote the message (their name, or phone). */
  sender: z.object({ contactId: z.string(), name: z.string().nullable() }).nullable(),
  /** The member who wrote an outbound message or private note (their name, else email); null for the API, bots and the phone. */
  agent: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
});

/** `GET /v1/conversations/search`: messages matching the words, newest first, each with its conversation and a snippet. */
export const messageSearchResultSchema = z.object({
  data: z.array(
    z.object({
      messageId: z.string(),
      conversationId: z.string(),
      createdAt: timestamp(),
      direction: z.enum(["inbound", "outbound"]),
      isPrivateNote: z.boolean(),
      /** Plain text around the matches; each match is wrapped in `<mark>` and `</mark>`, every other `<`, `>`, `&` is escaped. */
      snippet: z.string(),
      contact: z.object({ id: z.string(), name: z.string().nullable(), phone: z.string().nullable() }),
    }),
  ),
});

/** `POST /v1/conversations/bulk`: which conversations changed and which were refused, with why. */
export const bulkResultSchema = z.object({
  done: z.array(z.string()),
  failed: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
});

export const conversationMessagePageSchema = pageOf(conversationMessageJsonSchema);
