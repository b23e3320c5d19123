import { z } from "zod";
import { tText } from "@/lib/i18n";
import { toolsConfigSchema } from "@/features/tools/tool.schema";
import { knowledgeCollectionIdsSchema } from "@/features/knowledge/knowledge.schema";
import { personaSchema } from "@/features/prompts/prompt.schema";

/**
 * The model APIs an AI workflow can speak, each through its maintained AI SDK provider:
 * `openai` = any OpenAI-compatible `POST {baseUrl}/chat/completions`, `anthropic` = the Messages API,
 * `google` = Gemini's `generateContent` / `streamGenerateContent`.
 */
export const LLM_VENDORS = ["openai", "anthropic", "google"] as const;
export type LlmVendor = (typeof LLM_VENDORS)[number];

export const WORKFLOW_LIMITS = { name: 120, description: 2000, systemPrompt: 20_000, model: 200, apiKey: 500, text: 10_000 } as const;

export const followUpStageSchema = z.object({
  delaySeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600),
  templateKey: z.string().min(1).max(100),
});
export type FollowUpStageInput = z.infer<typeof followUpStageSchema>;

/**
 * Follow-up stages as forms write them: "<seconds> <template_key>", one per line (or separated by ";"
 * on a one-line input). The one parser for every form with follow-ups (workflows, flows); a malformed
 * line is an error at `path`, the stages it did read are then checked by followUpStageSchema.
 */
export function parseFollowUpLines(text: string, path: string): { stages: FollowUpStageInput[]; errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = [];
  const stages: FollowUpStageInput[] = [];
  for (const line of text
    .split(/[\r\n;]+/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [seconds, templateKey, ...rest] = line.split(/\s+/);
    if (!seconds || !templateKey || rest.length > 0 || !/^\d+$/.test(seconds)) errors.push({ path, message: tText("workflows:errors.followUpLine", { line }) });
    else stages.push({ delaySeconds: Number(seconds), templateKey });
  }
  return { stages, errors };
}

/** Stages back into the lines parseFollowUpLines reads (`separator` "; " for a one-line input). */
export const followUpLines = (stages: readonly FollowUpStageInput[], separator = "\n") =>
  stages.map((s) => `${s.delaySeconds} ${s.templateKey}`).join(separator);

/** Automation settings every provider shares (conversations bound to the workflow). */
const automationFields = {
  /** Template sent when the AI fails or times out; without one the conversation is handed to a human. */
  fallbackTemplateKey: z.string().min(1).max(100).optional(),
  /** Seconds to wait for more inbound messages before answering them as one turn (default 3). */
  debounceSeconds: z.number().int().min(0).max(120).optional(),
  followUps: z.array(followUpStageSchema).max(10).optional(),
  /** Hybrid mode for every conversation of the workflow (HITL): the AI only drafts replies, agents send them. */
  draftOnly: z.boolean().optional(),
  /** `false`: its conversations are left out of the organization's sentiment classification (HITL). */
  sentimentAnalysis: z.boolean().optional(),
};

/**
 * Memory (seed 002 thread rotation, seed 004 `last_context`): once the turns still sent to the model
 * pass `maxMessages` rows or about `maxTokens` tokens (4 characters a token), the older ones are
 * summarised and only the last `keepRecent` rows are sent with the summary. Defaults: MEMORY_DEFAULTS.
 */
export const MEMORY_DEFAULTS = { maxMessages: 40, maxTokens: 8_000, keepRecent: 10 } as const;
export const memoryConfigSchema = z
  .object({
    maxMessages: z.number().int().min(4).max(500).optional(),
    maxTokens: z.number().int().min(500).max(500_000).optional(),
    keepRecent: z.number().int().min(2).max(100).optional(),
  })
  .refine((m) => (m.keepRecent ?? MEMORY_DEFAULTS.keepRecent) < (m.maxMessages ?? MEMORY_DEFAULTS.maxMessages), {
    path: ["keepRecent"],
    error: () => tText("prompts:errors.keepRecent"),
  });

/** An AI workflow: its model API (`vendor`), model, prompt and tools. */
export const openAiConfigSchema = z.object({
  /** `openai` = any OpenAI-compatible chat completions API, `anthropic` = Messages API, `google` = Gemini. */
  vendor: z.enum(LLM_VENDORS).optional(),
  /** Empty = the vendor's operator endpoint (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GOOGLE_AI_BASE_URL). Any other needs its own `apiKey` and passes the outbound guard. */
  baseUrl: z
    .string()
    .url()
    .max(500)
    .refine((u) => /^https?:\/\//i.test(u), { error: () => tText("workflows:errors.httpUrl") })
    .optional(),
  apiKey: z.string().min(1).max(WORKFLOW_LIMITS.apiKey).optional(),
  model: z.string().min(1).max(WORKFLOW_LIMITS.model),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(200_000).optional(),
  systemPrompt: z.string().max(WORKFLOW_LIMITS.systemPrompt).optional(),
  tools: toolsConfigSchema.optional(),
  /** Knowledge collections the model answers from (retrieved per message, cited as "[n] source"). */
  knowledgeCollectionIds: knowledgeCollectionIdsSchema.optional(),
  /** Who the model speaks as (name, avatar, role, personality, expertise): composed before the instructions. */
  persona: personaSchema.optional(),
  /** When a thread's older turns are summarised (memory.ts). */
  memory: memoryConfigSchema.optional(),
  /** The model takes images: a customer's pictures reach it as image parts (off: as "[imagem: legenda]"). */
  vision: z.boolean().optional(),
  ...automationFields,
});

export const astConfigSchema = z.object({
  providerId: z.string().regex(/^wf_[A-Za-z0-9_-]{1,100}$/, { error: () => tText("workflows:errors.astWorkflowId") }),
  ...automationFields,
});

export const flowConfigSchema = z.object({ flowId: z.string().uuid(), ...automationFields });

const base = {
  name: z.string().trim().min(1).max(WORKFLOW_LIMITS.name),
  description: z.string().max(WORKFLOW_LIMITS.description).optional(),
  isActive: z.boolean().optional(),
};

export const createWorkflowSchema = z.discriminatedUnion("provider", [
  z.object({ ...base, provider: z.literal("openai"), config: openAiConfigSchema }),
  z.object({ ...base, provider: z.literal("ast"), config: astConfigSchema }),
  z.object({ ...base, provider: z.literal("flow"), config: flowConfigSchema }),
]);
export type CreateWorkflowInput = z.infer<typeof createWorkflowSchema>;

/** PATCH: any subset; `config` is merged into the stored one and re-validated for the provider. */
export const updateWorkflowSchema = z
  .object({
    name: base.name.optional(),
    description: base.description.nullable(),
    isActive: z.boolean().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .partial();
export type UpdateWorkflowInput = z.infer<typeof updateWorkflowSchema>;

export const createThreadSchema = z.object({
  title: z.string().trim().min(1).max(200).optional(),
  contactId: z.string().uuid().optional(),
});

export const threadMessageSchema = z.object({ text: z.string().trim().min(1).max(WORKFLOW_LIMITS.text) });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
