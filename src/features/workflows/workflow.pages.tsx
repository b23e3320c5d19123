import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { config } from "@/config";
import { AppError, type FieldError } from "@/lib/errors";
import { attemptForm, formFields, formList, formText, formValues, parseForm, unprocessable, type FormBody } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { WorkflowsIndex } from "@views/workflows/index";
import { WorkflowShow } from "@views/workflows/show";
import { WorkflowForm, type WorkflowFormValues } from "@views/workflows/_form";
import { ThreadRow } from "@views/workflows/_thread-row";
import { personaValues } from "@views/workflows/_persona";
import { instructionsOverview } from "@/features/prompts/prompt.service";
import { personaAndMemoryFromForm } from "@/features/prompts/prompt.forms";
import { parseToolLine, ThreadView } from "@views/workflows/thread";
import { createWorkflowSchema, followUpLines, parseFollowUpLines, type FollowUpStageInput } from "./workflow.schema";
import { bindInstanceToWorkflow, listWorkflowBindings, unbindWorkflow } from "./workflow-binding.service";
import { listAllInstances } from "@/features/instances/instance.service";
import { listTools } from "@/features/tools/tool.service";
import type { ToolsConfig } from "@/features/tools/tool.schema";
import {
  createThread,
  getThread,
  listThreadMessages,
  listThreads,
  sendThreadMessage,
  setThreadStatus,
  toPublicThread,
  toPublicThreadMessage,
} from "./thread.service";
import {
  createWorkflow,
  deleteWorkflow,
  getWorkflow,
  importAstWorkflows,
  listWorkflows,
  publishedFlowOptions,
  toPublicWorkflow,
  updateWorkflow,
  withInstructions,
  type Workflow,
} from "./workflow.service";

const idParams = z.object({ id: z.string().uuid() });

/** Form fields ("config.model", "followUps" lines…) → the API's input shape, so one zod schema guards both. */
function formToInput(body: FormBody, editing: boolean): { input: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const text = (k: string) => {
    const v = body[k];
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  };
  const num = (k: string) => {
    const v = text(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) errors.push({ path: k, message: tText("validation:expectedNumber") });
    return n;
  };
  const provider = text("provider") ?? "openai";
  const cfg: Record<string, unknown> = {
    fallbackTemplateKey: text("config.fallbackTemplateKey"),
    debounceSeconds: num("config.debounceSeconds"),
  };
  const followUps = parseFollowUpLines(formText(body.followUps), "followUps");
  errors.push(...followUps.errors);
  if (followUps.stages.length) cfg.followUps = followUps.stages;
  if (provider === "openai") {
    Object.assign(cfg, {
      model: text("config.model"),
      // Emptied on the edit form = back to OPENAI_BASE_URL.
      baseUrl: text("config.baseUrl") ?? (editing ? null : undefined),
      apiKey: text("config.apiKey"),
      temperature: num("config.temperature"),
      maxTokens: num("config.maxTokens"),
      systemPrompt: text("config.systemPrompt"),
      vendor: text("config.vendor"),
      // A checkbox: absent from the post when unchecked.
      vision: text("config.vision") === "on",
      // HITL toggles (views/suggestions/_workflow-fields.tsx), checkboxes too.
      draftOnly: text("config.draftOnly") === "on",
      sentimentAnalysis: text("config.sentimentOptOut") !== "on",
    });
    const personaMemory = personaAndMemoryFromForm(body, editing);
    errors.push(...personaMemory.errors);
    if (personaMemory.persona) cfg.persona = personaMemory.persona;
    if (personaMemory.memory) cfg.memory = personaMemory.memory;
    const tools: Record<string, unknown> = {
      builtin: formList(body["config.tools.builtin"]),
      custom: formList(body["config.tools.custom"]),
      maxSteps: num("config.tools.maxSteps"),
      cepUrl: text("config.tools.cepUrl"),
      departments: (text("config.tools.departments") ?? "")
        .split(",")
        .map((d) => d.trim())
        .filter(Boolean),
    };
    for (const k of Object.keys(tools)) if (tools[k] === undefined) delete tools[k];
    cfg.tools = tools;
    // Only when the form showed the knowledge picker (it loads separately): none checked then means none attached.
    if (body["config.knowledgeCollectionIds.shown"]) cfg.knowledgeCollectionIds = formList(body["config.knowledgeCollectionIds"]);
  } else if (provider === "ast") cfg.providerId = text("config.providerId");
  else if (provider === "flow") cfg.flowId = text("config.flowId");
  for (const k of Object.keys(cfg)) if (cfg[k] === undefined) delete cfg[k];
  const input: Record<string, unknown> = { name: text("name") ?? "", provider, config: cfg };
  const description = text("description");
  if (description !== undefined || editing) input.description = description ?? null;
  return { input, errors };
}

function valuesOf(w: ReturnType<typeof toPublicWorkflow>): WorkflowFormValues {
  const c = w.config as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  return {
    name: w.name,
    description: w.description ?? undefined,
    provider: w.provider,
    "config.model": str(c.model),
    "config.baseUrl": str(c.baseUrl),
    "config.temperature": str(c.temperature),
    "config.maxTokens": str(c.maxTokens),
    "config.systemPrompt": str(c.systemPrompt),
    "config.vendor": str(c.vendor),
    "config.vision": c.vision === true ? "on" : undefined,
    "config.draftOnly": c.draftOnly === true ? "on" : undefined,
    "config.sentimentOptOut": c.sentimentAnalysis === false ? "on" : undefined,
    ...toolValues(c.tools as ToolsConfig | undefined),
    "config.knowledgeCollectionIds": Array.isArray(c.knowledgeCollectionIds) ? c.knowledgeCollectionIds.join(",") : undefined,
    ...personaValues(c),
    "config.providerId": str(c.providerId),
    "config.flowId": str(c.flowId),
    "config.fallbackTemplateKey": str(c.fallbackTemplateKey),
    "config.debounceSeconds": str(c.debounceSeconds),
    followUps: Array.isArray(c.followUps) ? followUpLines(c.followUps as FollowUpStageInput[], "; ") : undefined,
  };
}

/** A workflow's tools as the form's fields (checkbox groups as comma-joined lists). */
function toolValues(tools: ToolsConfig | undefined): WorkflowFormValues {
  return {
    "config.tools.builtin": tools?.builtin?.join(","),
    "config.tools.custom": tools?.custom?.join(","),
    "config.tools.maxSteps": tools?.maxSteps === undefined ? undefined : String(tools.maxSteps),
    "config.tools.cepUrl": tools?.cepUrl,
    "config.tools.departments": tools?.departments?.join(", "),
  };
}

/** What was typed, shown back on a 422, except the API key. */
function formValuesOf(body: FormBody): WorkflowFormValues {
  const { "config.apiKey": _apiKey, ...values } = formValues(body);
  return {
    ...values,
    "config.tools.builtin": formList(body["config.tools.builtin"]).join(","),
    "config.tools.custom": formList(body["config.tools.custom"]).join(","),
    "config.knowledgeCollectionIds": formList(body["config.knowledgeCollectionIds"]).join(","),
  };
}

/** The organization's custom tools, for the workflow form's tool switches. */
const toolOptions = async (organizationId: string) => (await listTools(organizationId)).map((t) => ({ id: t.id, name: t.name, description: t.description }));

async function renderIndex(
  admin: AdminContext,
  csrfToken: string,
  extra: { values?: WorkflowFormValues; errors?: FieldError[]; flash?: ReturnType<typeof takeFlash> } = {},
) {
  return WorkflowsIndex({
    admin,
    csrfToken,
    flash: extra.flash,
    workflows: (await listWorkflows(admin.organization.id)).map((w) => toPublicWorkflow(w)),
    canManage: can.manageAutomation(admin.role),
    astConfigured: !!config.ast.url,
    flows: await publishedFlowOptions(admin.organization.id),
    tools: await toolOptions(admin.organization.id),
    values: extra.values,
    errors: extra.errors,
  });
}

function requireManage(admin: AdminContext) {
  if (!can.manageAutomation(admin.role)) throw new AppError("forbidden", tText("workflows:errors.manageOnly"));
}

/** The tool calls of the thread's last turn, as lines the test chat shows above the answer. */
async function turnToolLines(organizationId: string, threadId: string): Promise<{ text: string; failed: boolean }[]> {
  const lines = await listThreadMessages(organizationId, threadId, 50);
  const lastUser = lines.findLastIndex((m) => m.role === "user");
  return lines.slice(lastUser + 1).flatMap((m) => {
    const call = m.role === "tool" ? parseToolLine(m.content) : null;
    return call ? [{ text: `${tText("workflows:threadView.toolCalled")} ${call.tool}`, failed: !!call.error }] : [];
  });
}

/** SSE reply for the admin test panel: `thread` (id), `token`… then `done` or `error`. */
function chatStream(request: Request, admin: AdminContext, workflow: Workflow, text: string, threadId: string | undefined): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      try {
        const thread = threadId
          ? await getThread(admin.organization.id, threadId)
          : await createThread(admin.organization.id, workflow.id, {
              title: tText("workflows:thread.testChatTitle", { email: admin.user.email }),
              userId: admin.user.id,
            });
        if (thread.workflowId !== workflow.id) throw new AppError("not_found", tText("workflows:errors.threadNotFound"));
        send("thread", { id: thread.id });
        const { reply } = await sendThreadMessage(admin.organization.id, thread.id, text, {
          signal: request.signal,
          onToken: (delta) => send("token", { content: delta }),
        });
        send("done", { message: toPublicThreadMessage(reply), tools: await turnToolLines(admin.organization.id, thread.id) });
      } catch (err) {
        send("error", { message: err instanceof AppError ? err.message : tText("common:errors.internal") });
      } finally {
        controller.close();
      }
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

/** Admin pages for workflows: list, create, edit, AST import, threads and the streaming test chat. */
export const workflowsPages = new Elysia({ name: "workflows-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get("/workflows", async ({ admin, csrfToken, cookie }) => renderIndex(admin, csrfToken, { flash: takeFlash(cookie) }), { member: "agent" })
  .post(
    "/workflows",
    async ({ admin, body, request, set, cookie }) => {
      requireManage(admin);
      const b = formFields(body);
      const rerender = async (errors: FieldError[]) =>
        unprocessable(set, async () =>
          WorkflowForm({
            action: "/workflows",
            values: formValuesOf(b),
            errors,
            flows: await publishedFlowOptions(admin.organization.id),
            tools: await toolOptions(admin.organization.id),
            submitLabel: tText("workflows:createButton"),
          }),
        );
      const { input, errors } = formToInput(b, false);
      const parsed = parseForm(createWorkflowSchema, input, errors);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createWorkflow(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("workflows:flash.created"));
      return hxRedirect(request, `/workflows/${created.value.id}`);
    },
    { member: "agent" },
  )
  .post(
    "/workflows/import",
    async ({ admin, request, cookie }) => {
      requireManage(admin);
      const { created, updated } = await importAstWorkflows(admin);
      setFlash(cookie, "success", tText("workflows:flash.imported", { created, updated }));
      return hxRedirect(request, "/workflows");
    },
    { member: "agent" },
  )
  .get(
    "/workflows/:id",
    async ({ admin, csrfToken, params, cookie }) => {
      const w = (await withInstructions([await getWorkflow(admin.organization.id, params.id)]))[0]!;
      const threads = await listThreads(admin.organization.id, w.id, { limit: 50 });
      return WorkflowShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        workflow: w,
        threads: threads.data.map(toPublicThread),
        canManage: can.manageAutomation(admin.role),
        flows: await publishedFlowOptions(admin.organization.id),
        tools: await toolOptions(admin.organization.id),
        values: valuesOf(w),
        bindings: w.system ? [] : await listWorkflowBindings(admin.organization.id, w.id),
        instances: (await listAllInstances(admin)).map((i) => ({ id: i.id, name: i.name })),
        instructions: await instructionsOverview(admin, w.id),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/workflows/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      requireManage(admin);
      const current = await getWorkflow(admin.organization.id, params.id);
      const b = formFields(body);
      const { input, errors } = formToInput({ ...b, provider: current.provider }, true);
      const rerender = async (errs: FieldError[]) =>
        unprocessable(set, async () =>
          WorkflowForm({
            action: `/workflows/${params.id}`,
            values: formValuesOf(b),
            errors: errs,
            flows: await publishedFlowOptions(admin.organization.id),
            tools: await toolOptions(admin.organization.id),
            editing: true,
            submitLabel: tText("common:actions.save"),
          }),
        );
      if (errors.length) return rerender(errors);
      const saved = await attemptForm(() =>
        updateWorkflow(admin, params.id, {
          name: input.name as string,
          description: (input.description as string | null) ?? null,
          config: input.config as Record<string, unknown>,
        }),
      );
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("workflows:flash.saved"));
      return hxRedirect(request, `/workflows/${params.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/workflows/:id/delete",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      await deleteWorkflow(admin, params.id);
      setFlash(cookie, "success", tText("workflows:flash.deleted"));
      return hxRedirect(request, "/workflows");
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/threads/:id",
    async ({ admin, csrfToken, params }) => {
      const thread = await getThread(admin.organization.id, params.id);
      const workflow = await getWorkflow(admin.organization.id, thread.workflowId);
      const messages = await listThreadMessages(admin.organization.id, thread.id);
      return ThreadView({
        admin,
        csrfToken,
        thread: toPublicThread(thread),
        workflow: { id: workflow.id, name: workflow.name },
        messages: messages.map(toPublicThreadMessage),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/workflows/:id/chat",
    async ({ admin, params, body, request }) => {
      const workflow = await getWorkflow(admin.organization.id, params.id);
      return chatStream(request, admin, workflow, body.text, body.threadId ?? undefined);
    },
    {
      member: "agent",
      params: idParams,
      body: z.object({ text: z.string().trim().min(1).max(10_000), threadId: z.string().uuid().nullish(), _csrf: z.string().optional() }),
    },
  )
  .post(
    "/workflows/:id/bindings",
    async ({ admin, params, body, request, cookie }) => {
      requireManage(admin);
      await bindInstanceToWorkflow(admin, params.id, body.instanceId);
      setFlash(cookie, "success", tText("workflows:flash.bound"));
      return hxRedirect(request, `/workflows/${params.id}`);
    },
    { member: "agent", params: idParams, body: z.object({ instanceId: z.string().uuid(), _csrf: z.string().optional() }) },
  )
  .post(
    "/workflows/:id/bindings/:triggerId/delete",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      await unbindWorkflow(admin, params.id, params.triggerId);
      setFlash(cookie, "success", tText("workflows:flash.unbound"));
      return hxRedirect(request, `/workflows/${params.id}`);
    },
    { member: "agent", params: z.object({ id: z.string().uuid(), triggerId: z.string().uuid() }) },
  )
  .post(
    "/threads/:id/:action",
    async ({ admin, params }) => {
      requireManage(admin);
      const status = params.action === "archive" ? "archived" : "active";
      const thread = await setThreadStatus(admin.organization.id, params.id, status);
      return ThreadRow({ thread: toPublicThread(thread), canManage: true });
    },
    { member: "agent", params: z.object({ id: z.string().uuid(), action: z.enum(["archive", "reopen"]) }) },
  );
