import { z } from "zod";
import { HTTP_TOOL_METHODS } from "@/db/schema";
import { tText } from "@/lib/i18n";

/**
 * Tools a workflow's model may call (seed 004 `tools_config`), each switched on per workflow.
 * They act on the thread's contact and conversation; in a test chat without one they answer so.
 */
export const BUILTIN_TOOLS = [
  "handoff",
  "read_contact",
  "update_contact",
  "add_tag",
  "create_lead",
  "open_complaint",
  "register_payment_promise",
  "schedule_follow_up",
  "send_template",
  "send_media",
  "cep_lookup",
] as const;
export type BuiltinTool = (typeof BUILTIN_TOOLS)[number];

export const TOOL_LIMITS = {
  name: 64,
  description: 1000,
  url: 2000,
  headers: 20,
  headerName: 100,
  headerValue: 4000,
  schemaChars: 20_000,
  timeoutMsMin: 1000,
  timeoutMsMax: 30_000,
  maxStepsMax: 10,
  maxStepsDefault: 5,
  /** Characters of a tool's answer the model sees (and the thread keeps). */
  resultChars: 8000,
} as const;

/** The public ViaCEP service; any server answering `{base}/{cep}/json/` the same way will do. */
export const DEFAULT_CEP_URL = "https://viacep.com.br/ws";

const httpUrl = z
  .string()
  .trim()
  .url({ error: () => tText("tools:errors.url") })
  .max(TOOL_LIMITS.url)
  .refine((u) => /^https?:\/\//i.test(u), { error: () => tText("tools:errors.url") });

/** `config.tools` of an AI workflow. */
export const toolsConfigSchema = z.object({
  builtin: z.array(z.enum(BUILTIN_TOOLS)).max(BUILTIN_TOOLS.length).default([]),
  /** Custom HTTP tools of the organization the model may call. */
  custom: z
    .array(z.uuid({ error: () => tText("tools:errors.toolId") }))
    .max(20)
    .default([]),
  /** Model calls per turn at most; each round of tool calls is one. */
  maxSteps: z.number().int().min(1).max(TOOL_LIMITS.maxStepsMax).default(TOOL_LIMITS.maxStepsDefault),
  /** ViaCEP-compatible base URL for `cep_lookup` (tenant-chosen: through the outbound guard). */
  cepUrl: httpUrl.optional(),
  /** Departments `handoff` may route to (empty: any hand-off goes to the team as a whole). */
  departments: z.array(z.string().trim().min(1).max(100)).max(20).optional(),
});
export type ToolsConfig = z.infer<typeof toolsConfigSchema>;

/** A JSON Schema (an object with `properties`) the model's arguments are checked against. */
export const argumentsSchema = z
  .record(z.string(), z.unknown(), { error: () => tText("tools:errors.schemaObject") })
  .refine((s) => JSON.stringify(s).length <= TOOL_LIMITS.schemaChars, { error: () => tText("tools:errors.schemaTooLarge") })
  .refine((s) => s.type === "object", { error: () => tText("tools:errors.schemaObject") })
  .refine(
    (s) => {
      try {
        z.fromJSONSchema(s as Parameters<typeof z.fromJSONSchema>[0]);
        return true;
      } catch {
        return false;
      }
    },
    { error: () => tText("tools:errors.schemaInvalid") },
  );

const headerSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(TOOL_LIMITS.headerName)
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: () => tText("tools:errors.headerName") }),
  /** Omitted on update of a secret header: the stored (encrypted) value is kept. */
  value: z.string().max(TOOL_LIMITS.headerValue).optional(),
  secret: z.boolean().default(false),
});

const toolFields = {
  name: z
    .string()
    .trim()
    .min(1)
    .max(TOOL_LIMITS.name)
    .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: () => tText("tools:errors.name") })
    .refine((n) => !(BUILTIN_TOOLS as readonly string[]).includes(n), { error: () => tText("tools:errors.nameBuiltin") }),
  description: z.string().trim().min(1).max(TOOL_LIMITS.description),
  parameters: argumentsSchema,
  method: z.enum(HTTP_TOOL_METHODS).default("POST"),
  url: httpUrl,
  headers: z.array(headerSchema).max(TOOL_LIMITS.headers).default([]),
  timeoutMs: z.number().int().min(TOOL_LIMITS.timeoutMsMin).max(TOOL_LIMITS.timeoutMsMax).default(10_000),
  active: z.boolean().default(true),
};

export const createToolSchema = z.object(toolFields);
export type CreateToolInput = z.infer<typeof createToolSchema>;

/** PATCH: any subset; `headers`, when sent, replaces the list (a secret sent without a value keeps its stored one). */
export const updateToolSchema = z.object({
  name: toolFields.name.optional(),
  description: toolFields.description.optional(),
  parameters: argumentsSchema.optional(),
  method: z.enum(HTTP_TOOL_METHODS).optional(),
  url: httpUrl.optional(),
  headers: z.array(headerSchema).max(TOOL_LIMITS.headers).optional(),
  timeoutMs: toolFields.timeoutMs.removeDefault().optional(),
  active: z.boolean().optional(),
});
export type UpdateToolInput = z.infer<typeof updateToolSchema>;

export const RECORD_KINDS = ["leads", "complaints", "payment-promises", "follow-ups"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const recordListQuerySchema = z.object({
  kind: z.enum(RECORD_KINDS, { error: () => tText("tools:errors.recordKind", { kinds: RECORD_KINDS.join(", ") }) }),
  contactId: z.uuid({ error: () => tText("tools:errors.contactId") }).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
