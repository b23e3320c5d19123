import { z } from "zod";
import { instances, messages } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/sandbox` answers, documented in /openapi.json. */
export const sandboxScanResultSchema = rowJson(instances, ["id", "status", "waJid", "waName"]);

export const sandboxInboundResultSchema = rowJson(messages, ["providerMessageId", "conversationId", "contactId"]).extend({ messageId: z.string() });
