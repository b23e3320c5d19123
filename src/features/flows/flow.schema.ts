import { z } from "zod";
import { FLOW_STEP_TYPES } from "@/db/schema";
import { followUpStageSchema } from "@/features/workflows/workflow.schema";
import { tText } from "@/lib/i18n";

export const FLOW_LIMITS = { name: 120, stepKey: 60, text: 4096, steps: 100 } as const;

export const stepKeySchema = z
  .string()
  .trim()
  .min(1)
  .max(FLOW_LIMITS.stepKey)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: () => tText("flows:errors.stepKeyFormat") });

/** One step of a flow. `transitions` maps an answer (case-insensitive) or "*" (anything) to the next step key. */
export const flowStepSchema = z.object({
  key: stepKeySchema,
  type: z.enum(FLOW_STEP_TYPES),
  templateKey: z.string().trim().max(100).nullish(),
  text: z.string().max(FLOW_LIMITS.text).nullish(),
  /** collect_input: {variable}; call_workflow: {workflowId}. */
  config: z.record(z.string(), z.unknown()).default({}),
  waitForInput: z.boolean().default(false),
  transitions: z.record(z.string().trim().min(1).max(200), stepKeySchema).default({}),
  order: z.number().int().min(0).max(10_000).default(0),
});
export type FlowStepInput = z.infer<typeof flowStepSchema>;

export const createFlowSchema = z.object({
  name: z.string().trim().min(1).max(FLOW_LIMITS.name),
  followUps: z.array(followUpStageSchema).max(10).default([]),
});
