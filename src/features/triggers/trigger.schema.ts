import { z } from "zod";
import { TRIGGER_MATCHES } from "@/db/schema";
import { tText } from "@/lib/i18n";
import { compileTriggerRegex, regexProblemMessage } from "./trigger.regex";

export const TRIGGER_ACTIONS = ["reply_template", "start_flow", "hand_to_workflow"] as const;

export const triggerSchema = z
  .object({
    name: z.string().trim().max(120).default(""),
    match: z.enum(TRIGGER_MATCHES),
    pattern: z.string().trim().max(200).default(""),
    priority: z.number().int().min(-1000).max(1000).default(0),
    cooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3600)
      .default(0),
    /** Empty/null = every instance of the organization. */
    instanceIds: z.array(z.string().uuid()).max(100).nullish(),
    active: z.boolean().default(true),
    action: z.enum(TRIGGER_ACTIONS),
    templateKey: z.string().trim().max(100).nullish(),
    flowId: z.string().uuid().nullish(),
    workflowId: z.string().uuid().nullish(),
  })
  .superRefine((t, ctx) => {
    if ((t.match === "equals" || t.match === "contains" || t.match === "regex") && !t.pattern) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: tText(`triggers:errors.patternNeeded.${t.match}`) });
    }
    if (t.match === "regex" && t.pattern) {
      const compiled = compileTriggerRegex(t.pattern);
      if (!compiled.ok) ctx.addIssue({ code: "custom", path: ["pattern"], message: regexProblemMessage(compiled) });
    }
    if (t.match === "number" && t.pattern && !/^\d+$/.test(t.pattern)) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: tText("triggers:errors.numberPattern") });
    }
    if (t.action === "reply_template" && !t.templateKey)
      ctx.addIssue({ code: "custom", path: ["templateKey"], message: tText("triggers:errors.chooseTemplate") });
    if (t.action === "start_flow" && !t.flowId) ctx.addIssue({ code: "custom", path: ["flowId"], message: tText("triggers:errors.chooseFlow") });
    if (t.action === "hand_to_workflow" && !t.workflowId)
      ctx.addIssue({ code: "custom", path: ["workflowId"], message: tText("triggers:errors.chooseWorkflow") });
  });
export type TriggerInput = z.infer<typeof triggerSchema>;

/** "Which trigger would fire for this text?" — the admin test box and `POST /v1/triggers/test`. */
export const triggerTestSchema = z.object({
  text: z
    .string()
    .max(2000, { error: () => tText("triggers:errors.testTextMax", { count: 2000 }) })
    .refine((t) => t.trim() !== "", { error: () => tText("triggers:errors.testTextRequired") }),
  instanceId: z.string().uuid().nullish(),
  firstMessage: z.boolean().default(false),
});
