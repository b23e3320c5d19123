import { z } from "zod";
import { aiTools, complaints, followUpTasks, paymentPromises, salesLeads } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/tools` answers (toPublicTool), documented in /openapi.json. */
export const toolJsonSchema = rowJson(aiTools, ["id", "name", "description", "method", "url", "timeoutMs", "active", "createdAt", "updatedAt"]).extend({
  parameters: z.record(z.string(), z.unknown()).describe("JSON Schema of the arguments"),
  headers: z.array(
    z.object({
      name: z.string(),
      secret: z.boolean(),
      value: z.string().nullable().describe("null for a secret header: its value is never returned"),
      hasValue: z.boolean(),
    }),
  ),
});

export const toolListSchema = z.object({ data: z.array(toolJsonSchema) });

const recordKeys = ["id", "organizationId", "contactId", "conversationId", "threadId", "createdAt"] as const;

/** `/v1/tools/records?kind=`: what the AI tools created, per kind. */
export const recordListSchemas = {
  leads: z.object({ data: z.array(rowJson(salesLeads, [...recordKeys, "title", "notes", "value", "status"])) }),
  complaints: z.object({ data: z.array(rowJson(complaints, [...recordKeys, "subject", "description", "severity", "status"])) }),
  "payment-promises": z.object({ data: z.array(rowJson(paymentPromises, [...recordKeys, "amount", "dueDate", "notes", "status"])) }),
  "follow-ups": z.object({ data: z.array(rowJson(followUpTasks, [...recordKeys, "dueAt", "note", "done"])) }),
};
