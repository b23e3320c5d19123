import { jsonSchema, tool, type ToolSet } from "ai";
import { z } from "zod";
import { contactUpdateSchema } from "@/features/contacts/contact.schema";
import { getContact, updateContact } from "@/features/contacts/contact.service";
import { assignConversation, handoffConversation } from "@/features/conversations/conversation.service";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { systemCaller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { guardedFetch, OutboundError, TargetRefused } from "@/lib/outbound";
import { BUILTIN_TOOLS, DEFAULT_CEP_URL, TOOL_LIMITS, type BuiltinTool, type ToolsConfig } from "./tool.schema";
import { activeToolsByIds, createLead, headerValues, openComplaint, registerPaymentPromise, scheduleFollowUpTask, type AiTool } from "./tool.service";

/** Where a turn happens: the thread, and the contact and conversation it answers (none in a test chat). */
export type TurnContext = {
  organizationId: string;
  workflowId: string;
  /** Null in a member's direct chat with the agent (no thread: agent-chats). */
  threadId: string | null;
  contactId: string | null;
  conversationId: string | null;
  instanceId: string | null;
};

/** The tools of one turn and the first failure of one of them (the turn then falls back). */
export type TurnToolSet = { tools: ToolSet; failure: () => string | undefined };

/** A tool could not do what was asked for a reason the model can act on (told to it, the turn goes on). */
class Refusal extends Error {}

const CEP_TIMEOUT_MS = 10_000;

/** The model's view of a tool's answer: JSON-able and bounded. */
function bounded(value: unknown): unknown {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  if (text.length <= TOOL_LIMITS.resultChars) return value;
  return { truncated: true, text: text.slice(0, TOOL_LIMITS.resultChars) };
}

function describeFailure(err: unknown): string {
  if (err instanceof TargetRefused || err instanceof OutboundError) return err.message;
  if (err instanceof Error && err.name === "AbortError") return "timed out";
  return "unexpected error";
}

/**
 * Runs a tool: a Refusal or a 4xx-kind AppError (validation, not found, conflict) goes back to the
 * model as `{ error }`; anything else is a failure that ends the turn (fallback template or a person).
 */
function runner(name: string, fail: (reason: string) => void) {
  return async <T>(fn: () => Promise<T>): Promise<unknown> => {
    try {
      return bounded(await fn());
    } catch (err) {
      if (err instanceof Refusal) return { error: err.message };
      if (err instanceof AppError && ["validation_failed", "not_found", "conflict"].includes(err.code)) {
        return { error: err.message, ...(err.details?.length ? { details: err.details } : {}) };
      }
      const reason = `${name}: ${describeFailure(err)}`;
      log.warn("AI tool failed", { tool: name, err });
      fail(reason);
      throw new Error(reason);
    }
  };
}

const SYSTEM_ACTOR = (ctx: TurnContext) => ({ type: "system" as const, id: `ai:${ctx.workflowId}` });

/** A contact change through the contacts feature's own rules (tag format, limits); a broken rule is told to the model. */
function contactPatch(input: Record<string, unknown>) {
  const parsed = contactUpdateSchema.safeParse(input);
  if (!parsed.success) throw new Refusal(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

function needContact(ctx: TurnContext): string {
  if (!ctx.contactId) throw new Refusal(tText("tools:runtime.noContact"));
  return ctx.contactId;
}

function needConversation(ctx: TurnContext): { conversationId: string; instanceId: string } {
  if (!ctx.conversationId || !ctx.instanceId) throw new Refusal(tText("tools:runtime.noConversation"));
  return { conversationId: ctx.conversationId, instanceId: ctx.instanceId };
}

const recordRef = (ctx: TurnContext) => ({
  organizationId: ctx.organizationId,
  contactId: needContact(ctx),
  conversationId: ctx.conversationId,
  threadId: ctx.threadId,
});

async function sendToContact(ctx: TurnContext, message: Record<string, unknown>) {
  const { instanceId } = needConversation(ctx);
  const contact = await getContact(systemCaller(SYSTEM_ACTOR(ctx).id, ctx.organizationId), needContact(ctx));
  const { message: sent } = await queueOutboundMessage(
    systemCaller(SYSTEM_ACTOR(ctx).id, ctx.organizationId),
    { instanceId, to: contact.phone, ...message } as Parameters<typeof queueOutboundMessage>[1],
    { sentBy: "workflow" },
  );
  return { queued: true, messageId: sent.id };
}

/** A tool's answer, read only up to what the model may see: a huge (or endless) body is cut, not buffered. */
async function boundedText(res: Response, maxChars = TOOL_LIMITS.resultChars): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < maxChars) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, maxChars);
}

const parsedOrText = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** `{base}/{cep}/json/` as ViaCEP answers it; `{ erro: true }` is ViaCEP's "no such CEP". */
async function lookupCep(base: string, cep: string, signal?: AbortSignal) {
  const digits = cep.replace(/\D/g, "");
  if (digits.length !== 8) throw new Refusal(tText("tools:runtime.cepFormat"));
  const res = await guardedFetch(
    `${base.replace(/\/+$/, "")}/${digits}/json/`,
    { headers: { accept: "application/json" } },
    { timeoutMs: CEP_TIMEOUT_MS, signal },
  );
  const parsed = parsedOrText(await boundedText(res));
  if (!parsed || typeof parsed !== "object") throw new OutboundError("answered something that is not JSON");
  const body = parsed as Record<string, unknown>;
  if (body.erro === true || body.erro === "true") return { found: false, cep: digits };
  const pick = (k: string) => (typeof body[k] === "string" ? (body[k] as string) : undefined);
  return {
    found: true,
    cep: pick("cep") ?? digits,
    street: pick("logradouro"),
    complement: pick("complemento"),
    neighborhood: pick("bairro"),
    city: pick("localidade"),
    state: pick("uf"),
  };
}

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

function builtinTool(name: BuiltinTool, ctx: TurnContext, config: ToolsConfig, run: ReturnType<typeof runner>) {
  switch (name) {
    case "handoff": {
      const departments = config.departments ?? [];
      return tool({
        description:
          tText("tools:builtin.handoff.description") +
          (departments.length ? ` ${tText("tools:builtin.handoff.departments", { list: departments.join(", ") })}` : ""),
        inputSchema: z.object({
          reason: z.string().min(1).max(500).describe(tText("tools:builtin.handoff.reason")),
          department: (departments.length ? z.enum(departments as [string, ...string[]]) : z.string().max(100)).optional(),
        }),
        execute: ({ reason, department }) =>
          run(async () => {
            const { conversationId } = needConversation(ctx);
            const ai = systemCaller(`ai: ${reason}`.slice(0, 300), ctx.organizationId);
            // A department the organization does not have (or turned off) is not a reason to leave the contact with the bot.
            const routed = department
              ? await assignConversation(ai, conversationId, { department }).then(
                  () => true,
                  (err) => {
                    if (err instanceof AppError && err.code === "validation_failed") return false;
                    throw err;
                  },
                )
              : false;
            await handoffConversation(ai, conversationId, "human", reason);
            return { handedOff: true, reason, department: routed ? department : null };
          }),
      });
    }
    case "read_contact":
      return tool({
        description: tText("tools:builtin.read_contact.description"),
        inputSchema: z.object({}),
        execute: () =>
          run(async () => {
            const c = await getContact(systemCaller(SYSTEM_ACTOR(ctx).id, ctx.organizationId), needContact(ctx));
            return { name: c.name, phone: c.phone, tags: c.tags, fields: c.metadata };
          }),
      });
    case "update_contact":
      return tool({
        description: tText("tools:builtin.update_contact.description"),
        inputSchema: z.object({
          name: z.string().min(1).max(200).optional(),
          fields: z.record(z.string().max(100), z.string().max(1000)).optional().describe(tText("tools:builtin.update_contact.fields")),
        }),
        execute: ({ name, fields }) =>
          run(async () => {
            const id = needContact(ctx);
            const before = await getContact(systemCaller(SYSTEM_ACTOR(ctx).id, ctx.organizationId), id);
            const metadata = fields ? { ...(before.metadata as Record<string, unknown>), ...fields } : undefined;
            const c = await updateContact(
              systemCaller(SYSTEM_ACTOR(ctx).id, ctx.organizationId),
              id,
              contactPatch({ ...(name ? { name } : {}), ...(metadata ? { metadata } : {}) }),
            );
            return { updated: true, name: c.name, fields: c.metadata };
          }),
      });
    case "add_tag":
      return tool({
        description: tText("tools:builtin.add_tag.description"),
        inputSchema: z.object({ tag: z.string().min(1).max(50) }),
        execute: ({ tag }) =>
          run(async () => {
            const id = needContact(ctx);
            const before = await getContact(systemCaller(SYSTEM_ACTOR(ctx).id, ctx.organizationId), id);
            const c = await updateContact(systemCaller(SYSTEM_ACTOR(ctx).id, ctx.organizationId), id, contactPatch({ tags: [...before.tags, tag] }));
            return { tags: c.tags };
          }),
      });
    case "create_lead":
      return tool({
        description: tText("tools:builtin.create_lead.description"),
        inputSchema: z.object({ title: z.string().min(1).max(200), notes: z.string().max(2000).optional(), value: z.number().min(0).max(1e11).optional() }),
        execute: (input) => run(async () => ({ leadId: (await createLead(recordRef(ctx), input)).id })),
      });
    case "open_complaint":
      return tool({
        description: tText("tools:builtin.open_complaint.description"),
        inputSchema: z.object({
          subject: z.string().min(1).max(200),
          description: z.string().min(1).max(4000),
          severity: z.enum(["low", "medium", "high"]).default("medium"),
        }),
        execute: (input) => run(async () => ({ complaintId: (await openComplaint(recordRef(ctx), input)).id })),
      });
    case "register_payment_promise":
      return tool({
        description: tText("tools:builtin.register_payment_promise.description"),
        inputSchema: z.object({
          amount: z.number().positive().max(1e11),
          dueDate: isoDay.describe("YYYY-MM-DD"),
          method: z.enum(["boleto", "pix", "card", "other"]).optional(),
          notes: z.string().max(2000).optional(),
        }),
        execute: (input) =>
          run(async () => {
            // A day that exists: Date.parse rolls 2025-02-30 over to March, which Postgres then refuses.
            const day = new Date(`${input.dueDate}T00:00:00Z`);
            if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== input.dueDate) throw new Refusal(tText("tools:runtime.badDate"));
            return { promiseId: (await registerPaymentPromise(recordRef(ctx), input)).id };
          }),
      });
    case "schedule_follow_up":
      return tool({
        description: tText("tools:builtin.schedule_follow_up.description"),
        inputSchema: z.object({ at: z.string().describe("ISO 8601 date-time with offset"), note: z.string().min(1).max(1000) }),
        execute: ({ at, note }) =>
          run(async () => {
            const dueAt = new Date(at);
            if (Number.isNaN(dueAt.getTime()) || dueAt.getTime() <= Date.now()) throw new Refusal(tText("tools:runtime.futureDate"));
            return { followUpId: (await scheduleFollowUpTask(recordRef(ctx), { dueAt, note })).id, dueAt: dueAt.toISOString() };
          }),
      });
    case "send_template":
      return tool({
        description: tText("tools:builtin.send_template.description"),
        inputSchema: z.object({ key: z.string().min(1).max(100), variables: z.record(z.string().max(100), z.string().max(1000)).optional() }),
        execute: ({ key, variables }) => run(() => sendToContact(ctx, { type: "template", template: { key, variables: variables ?? {} } })),
      });
    case "send_media":
      return tool({
        description: tText("tools:builtin.send_media.description"),
        inputSchema: z.object({
          type: z.enum(["image", "document", "video", "audio"]),
          url: z.string().url().max(2000),
          caption: z.string().max(1000).optional(),
        }),
        execute: ({ type, url, caption }) => run(() => sendToContact(ctx, { type, media: { url, ...(caption && type !== "audio" ? { caption } : {}) } })),
      });
    case "cep_lookup":
      return tool({
        description: tText("tools:builtin.cep_lookup.description"),
        inputSchema: z.object({ cep: z.string().min(8).max(9) }),
        execute: ({ cep }, { abortSignal }) => run(() => lookupCep(config.cepUrl ?? DEFAULT_CEP_URL, cep, abortSignal)),
      });
  }
}

/** GET sends the arguments as the query string, other methods as a JSON body. */
async function callHttpTool(t: AiTool, args: Record<string, unknown>, signal?: AbortSignal) {
  const url = new URL(t.url);
  const headers: Record<string, string> = { accept: "application/json", ...headerValues(t) };
  let body: string | undefined;
  if (t.method === "GET" || t.method === "DELETE") {
    for (const [k, v] of Object.entries(args)) url.searchParams.set(k, typeof v === "string" ? v : JSON.stringify(v));
  } else {
    headers["content-type"] = "application/json";
    body = JSON.stringify(args);
  }
  const res = await guardedFetch(url.href, { method: t.method, headers, body }, { timeoutMs: t.timeoutMs, signal });
  return parsedOrText(await boundedText(res));
}

function customTool(t: AiTool, run: ReturnType<typeof runner>) {
  const validator = z.fromJSONSchema(t.parameters as Parameters<typeof z.fromJSONSchema>[0]);
  return tool({
    description: t.description,
    inputSchema: jsonSchema<Record<string, unknown>>(t.parameters as Parameters<typeof jsonSchema>[0], {
      validate: (value) => {
        const parsed = validator.safeParse(value);
        return parsed.success ? { success: true, value: parsed.data as Record<string, unknown> } : { success: false, error: new Error(parsed.error.message) };
      },
    }),
    // The turn's own abort (its time budget, a client gone) stops the call too.
    execute: (args, { abortSignal }) => run(() => callHttpTool(t, args, abortSignal)),
  });
}

/** The tools a workflow switched on, bound to this turn's thread, contact and conversation. */
export async function toolsForTurn(config: ToolsConfig, ctx: TurnContext): Promise<TurnToolSet> {
  let failure: string | undefined;
  const fail = (reason: string) => {
    failure ??= reason;
  };
  const tools: ToolSet = {};
  for (const name of config.builtin) {
    if ((BUILTIN_TOOLS as readonly string[]).includes(name)) tools[name] = builtinTool(name, ctx, config, runner(name, fail));
  }
  for (const t of await activeToolsByIds(ctx.organizationId, config.custom)) tools[t.name] = customTool(t, runner(t.name, fail));
  return { tools, failure: () => failure };
}
