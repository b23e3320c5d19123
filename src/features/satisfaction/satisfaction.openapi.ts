import { z } from "zod";
import { HANDLING_STATUSES, NPS_CATEGORIES } from "@/db/schema";
import { pageOf, timestamp } from "@/lib/openapi";

const uuid = () => z.string().meta({ format: "uuid" });

/** The JSON of one answered survey (feedbackJson). */
export const feedbackJsonSchema = z.object({
  id: uuid(),
  conversationId: uuid(),
  contact: z.object({ id: uuid(), name: z.string().nullable(), phone: z.string().nullable() }),
  agentUserId: uuid().nullable(),
  agentName: z.string().nullable(),
  departmentId: uuid().nullable(),
  departmentName: z.string().nullable(),
  workflowId: uuid().nullable().describe("The AI workflow, when the bot resolved the conversation"),
  workflowName: z.string().nullable(),
  sentAt: timestamp(),
  answeredAt: timestamp().nullable(),
  npsScore: z.number().int().min(0).max(10).nullable(),
  category: z.enum(NPS_CATEGORIES).nullable().describe("detractor 0–6, neutral 7–8, promoter 9–10"),
  comment: z.string().nullable(),
  handlingStatus: z.enum(HANDLING_STATUSES).nullable().describe("Detractors' handling task; null for others"),
  handlingNotes: z.string().nullable(),
  handlingScore: z.number().int().min(1).max(5).nullable(),
  handledBy: uuid().nullable(),
  handledAt: timestamp().nullable(),
});
export const feedbackPageSchema = pageOf(feedbackJsonSchema);

const npsGroupSchema = z.object({
  key: z.string().nullable().describe("The period's first day, or the agent / department / workflow id"),
  label: z.string().nullable(),
  promoters: z.number().int(),
  neutrals: z.number().int(),
  detractors: z.number().int(),
  total: z.number().int(),
  nps: z.number().int().nullable().describe("% promoters − % detractors; null without answers"),
});

export const npsDashboardSchema = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  bucket: z.enum(["day", "week", "month"]),
  overall: npsGroupSchema,
  byPeriod: z.array(npsGroupSchema),
  byAgent: z.array(npsGroupSchema),
  byDepartment: z.array(npsGroupSchema),
  byWorkflow: z.array(npsGroupSchema),
});

export const surveyJsonSchema = z.object({
  departmentId: uuid(),
  departmentName: z.string(),
  enabled: z.boolean(),
  template: z.string().nullable(),
  commentPrompt: z.string().nullable(),
});
export const surveyListSchema = z.object({ data: z.array(surveyJsonSchema) });
