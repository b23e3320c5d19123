import { z } from "zod";
import { campaigns } from "@/db/schema";
import { rowJson, timestamp } from "@/lib/openapi";

/** The JSON `/v1/campaigns` answers (campaignJson), documented in /openapi.json. */
export const campaignJsonSchema = rowJson(campaigns, [
  "id",
  "name",
  "status",
  "audienceSource",
  "segmentId",
  "audienceTag",
  "audienceImportId",
  "message",
  "instanceIds",
  "startsAt",
  "endsAt",
  "activeHours",
  "pacing",
  "maxAttempts",
  "attemptSpacingMinutes",
  "stopOnReply",
  "startedAt",
  "finishedAt",
  "createdAt",
  "updatedAt",
]);

export const campaignListSchema = z.object({ data: z.array(campaignJsonSchema), nextCursor: z.null().describe("Always null: the latest 200 are listed") });

export const campaignProgressSchema = z.object({
  total: z.number().int(),
  states: z.record(z.string(), z.number().int()).describe("Targets per state: pending, scheduled, sending, sent, delivered, read, replied, failed, skipped"),
});

export const campaignPreviewSchema = z.object({
  data: z.array(
    z.object({
      targetId: z.string(),
      contactId: z.string(),
      phone: z.string().nullable(),
      name: z.string().nullable(),
      variantIndex: z.number().int(),
      body: z.string(),
    }),
  ),
});

export const campaignRiskSchema = z.object({
  audience: z.number().int(),
  perDay: z.number().int().describe("Messages the numbers can send per active day (caps, warm-up, rate × active hours)"),
  daysNeeded: z.number().int().nullable(),
  daysAvailable: z.number().int().nullable().describe("Active days before the end; null without an end"),
  optOutRate: z.number(),
  warnings: z.array(z.object({ code: z.enum(["capacity", "young_number", "opt_out_rate", "rate_high"]), message: z.string() })),
});

export const campaignReportSchema = z.object({
  data: z.array(
    z.object({
      targetId: z.string(),
      phone: z.string().nullable(),
      name: z.string().nullable(),
      state: z.string(),
      skipReason: z.string().nullable(),
      error: z.string().nullable(),
      attempts: z.number().int(),
      variantIndex: z.number().int().nullable(),
      sentAt: timestamp().nullable(),
      deliveredAt: timestamp().nullable(),
      readAt: timestamp().nullable(),
      repliedAt: timestamp().nullable(),
      optedOutAt: timestamp().nullable(),
    }),
  ),
});
