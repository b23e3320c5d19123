import { z } from "zod";
import { followUpStageSchema } from "@/features/workflows/workflow.schema";
import { tText } from "@/lib/i18n";

export const FLOW_LIMITS = { name: 120, stepKey: 60, text: 4096, steps: 100, variable: 60, answer: 200, transitions: 100 } as const;

export const stepKeySchema = z
  .string()
  .trim()
  .min(1)
  .max(FLOW_LIMITS.stepKey)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: () => tText("flows:errors.stepKeyFormat") });

/** A collect_input variable: `{{name}}` in later texts reads it. */
export const variableNameSchema = z
  .string({ error: () => tText("flows:errors.variableName") })
  .trim()
  .regex(new RegExp(`^[A-Za-z_][A-Za-z0-9_]{0,${FLOW_LIMITS.variable - 1}}$`), { error: () => tText("flows:errors.variableName") });

/**
 * Answer → next step key; "*" is anything else. The engine compares answers ignoring case, so "Yes"
 * and "yes" would be one option written twice.
 */
const transitionsSchema = z
  .record(z.string().trim().min(1).max(FLOW_LIMITS.answer), stepKeySchema)
  .default({})
  .superRefine((transitions, ctx) => {
    const seen = new Set<string>();
    for (const answer of Object.keys(transitions)) {
      const folded = answer.toLowerCase();
      if (seen.has(folded)) ctx.addIssue({ code: "custom", path: [], message: tText("flows:errors.transitionTwice", { answer }) });
      seen.add(folded);
    }
    if (seen.size > FLOW_LIMITS.transitions)
      ctx.addIssue({ code: "custom", path: [], message: tText("validation:listMax", { count: FLOW_LIMITS.transitions }) });
  });

const stepFields = {
  key: stepKeySchema,
  templateKey: z.string().trim().max(100).nullish(),
  text: z.string().max(FLOW_LIMITS.text).nullish(),
  waitForInput: z.boolean().default(false),
  transitions: transitionsSchema,
  order: z
    .number({ error: () => tText("flows:errors.orderNumber") })
    .int({ error: () => tText("flows:errors.orderNumber") })
    .min(0)
    .max(10_000)
    .default(0),
};
/** Types without settings of their own keep an empty config (and drop anything sent in it). */
const noConfig = z.object({}).default({});

/** The config of a type that needs settings; a missing one reads as `{}`, so the error names the setting itself. */
function settingsOf<S extends z.ZodRawShape>(shape: S, message: () => string) {
  const schema = z.object(shape, { error: message });
  return schema.prefault({} as z.input<typeof schema>);
}

const hasText = (s: { text?: string | null }) => !!s.text?.trim();

/** What a step says is either a template or a text: both is a mistake, caught on the text. */
function templateOrText(step: { templateKey?: string | null; text?: string | null }, ctx: z.RefinementCtx) {
  if (step.templateKey && hasText(step)) ctx.addIssue({ code: "custom", path: ["text"], message: tText("flows:errors.templateOrText") });
}

/**
 * One step of a flow, by type: what each type needs is checked here, for `/v1` and the editor alike.
 * Graph problems (a transition to a step not written yet, an unreachable step) are allowed in a
 * draft and listed by validateFlow before publishing.
 */
export const flowStepSchema = z.discriminatedUnion(
  "type",
  [
    z.object({
      ...stepFields,
      type: z.literal("send_template"),
      config: noConfig,
      templateKey: z
        .string({ error: () => tText("flows:errors.chooseTemplate") })
        .trim()
        .min(1, { error: () => tText("flows:errors.chooseTemplate") })
        .max(100),
    }),
    z.object({ ...stepFields, type: z.literal("send_text"), config: noConfig }).superRefine((step, ctx) => {
      if (!hasText(step)) ctx.addIssue({ code: "custom", path: ["text"], message: tText("flows:errors.writeText") });
      else templateOrText(step, ctx);
    }),
    z
      .object({
        ...stepFields,
        type: z.literal("collect_input"),
        config: settingsOf({ variable: variableNameSchema }, () => tText("flows:errors.variableName")),
      })
      .superRefine(templateOrText),
    z.object({ ...stepFields, type: z.literal("choice"), config: noConfig }).superRefine((step, ctx) => {
      if (Object.keys(step.transitions).length === 0) ctx.addIssue({ code: "custom", path: ["transitions"], message: tText("flows:errors.choiceNeedsOption") });
      templateOrText(step, ctx);
    }),
    z.object({ ...stepFields, type: z.literal("handoff"), config: noConfig }),
    z.object({
      ...stepFields,
      type: z.literal("call_workflow"),
      config: settingsOf(
        { workflowId: z.string({ error: () => tText("flows:errors.chooseWorkflow") }).uuid({ error: () => tText("flows:errors.chooseWorkflow") }) },
        () => tText("flows:errors.chooseWorkflow"),
      ),
    }),
    z.object({ ...stepFields, type: z.literal("end"), config: noConfig }),
  ],
  { error: () => tText("flows:errors.chooseStepType") },
);
export type FlowStepInput = z.infer<typeof flowStepSchema>;

/**
 * The step editor's transitions textarea, "answer=step_key" per line, as the API's object. A line
 * that is not of that shape, or an answer written twice, only a form can make: its errors come back
 * with the path the API uses for the field.
 */
export function parseTransitionLines(lines: string[]): { transitions: Record<string, string>; errors: { path: string; message: string }[] } {
  const transitions: Record<string, string> = {};
  const errors: { path: string; message: string }[] = [];
  for (const line of lines) {
    const eq = line.indexOf("=");
    const answer = eq > 0 ? line.slice(0, eq).trim() : "";
    const target = eq > 0 ? line.slice(eq + 1).trim() : "";
    if (!answer || !target) errors.push({ path: "transitions", message: tText("flows:errors.transitionLine", { line }) });
    else if (Object.hasOwn(transitions, answer)) errors.push({ path: "transitions", message: tText("flows:errors.transitionTwice", { answer }) });
    else transitions[answer] = target;
  }
  return { transitions, errors };
}

export const createFlowSchema = z.object({
  name: z.string().trim().min(1).max(FLOW_LIMITS.name),
  followUps: z.array(followUpStageSchema).max(10).default([]),
});
