import { z } from "zod";
import { contacts, conversations, messages } from "@/db/schema";
import { pageOf, rowJson } from "@/lib/openapi";

/** The JSON `/v1/conversations` answers (conversationJson, messageJson), documented in /openapi.json. */
export const conversationJsonSchema = rowJson(conversations, [
  "id",
  "instanceId",
  "status",
  "handledBy",
  "assignedUserId",
  "department",
  "workflowId",
  "lastMessageAt",
  "lastMessagePreview",
  "unreadCount",
  "resolvedAt",
  "createdAt",
  "updatedAt",
]).extend({ contact: rowJson(contacts, ["id", "kind", "phone", "name"]) });

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
});

export const conversationMessagePageSchema = pageOf(conversationMessageJsonSchema);
