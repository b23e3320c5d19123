import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { listTemplates } from "@/features/templates/template.service";
import { setThreadStatus } from "@/features/workflows/thread.service";
import { listWorkflows } from "@/features/workflows/workflow.service";
import { AppError, zodDetails, type FieldError } from "@/lib/errors";
import { setFlash, takeFlash, type Flash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { FlowCreateForm, FlowsIndex } from "@views/flows/index";
import { FlowEditor, SettingsForm, type SettingsValues } from "@views/flows/show";
import { ProblemsPanel } from "@views/flows/_problems";
import { StepForm, type StepChoices, type StepFormValues } from "@views/flows/_steps";
import { TryPanel } from "@views/flows/_try";
import { byUser, type AuditBy } from "@/features/audit/audit.service";
import { createFlowSchema, flowStepSchema, type FlowStepInput } from "./flow.schema";
import {
  createFlow,
  deleteStep,
  draftFor,
  getFlow,
  getSteps,
  listFlows,
  publishFlow,
  saveStep,
  stepNotFound,
  updateFlowSettings,
  validateFlow,
  versionsOf,
  type Flow,
  type FlowStep,
} from "./flow.service";
import { answerTryRun, getTryRun, startTryRun, tryRunNotFound, type TryRun } from "./flow.try";

const idParams = z.object({ id: z.string().uuid() });
const stepParams = z.object({ id: z.string().uuid(), key: z.string().min(1).max(200) });
type FormBody = Record<string, unknown>;

const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
/** Form text areas arrive with CRLF line breaks. */
const lines = (v: unknown) => (typeof v === "string" ? v.replace(/\r\n?/g, "\n") : "").split("\n").map((l) => l.trim()).filter(Boolean);
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,59}$/;

function requireManage(admin: AdminContext) {
  if (!can.manageAutomation(admin.role)) throw new AppError("forbidden", tText("flows:errors.forbidden"));
}

// ——— Step form ———

/**
 * Step form fields → flowStepSchema input. Graph problems (a transition to a step not written yet, an
 * unreachable step) are allowed in a draft and listed by the validation panel; what a step's own type
 * needs (a text to send, a variable to store into…) is a field error right away.
 */
function stepFormToInput(body: FormBody, choices: StepChoices): { input: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const type = str(body.type);
  const transitions: Record<string, string> = {};
  // The engine matches answers ignoring case, so "Yes" and "yes" would be the same option.
  const seen = new Set<string>();
  for (const line of lines(body.transitions)) {
    const eq = line.indexOf("=");
    const answer = eq > 0 ? line.slice(0, eq).trim() : "";
    const target = eq > 0 ? line.slice(eq + 1).trim() : "";
    if (!answer || !target) errors.push({ path: "transitions", message: tText("flows:errors.transitionLine", { line }) });
    else if (seen.has(answer.toLowerCase())) errors.push({ path: "transitions", message: tText("flows:errors.transitionTwice", { answer }) });
    else {
      seen.add(answer.toLowerCase());
      transitions[answer] = target;
    }
  }
  const rawText = typeof body.text === "string" ? body.text.replace(/\r\n?/g, "\n") : "";
  const text = rawText.trim() ? rawText.trimEnd() : null;
  const templateKey = str(body.templateKey) || null;
  const variable = str(body.variable);
  const workflowId = str(body.workflowId);
  let order: number | undefined;
  const orderText = str(body.order);
  if (orderText !== "") {
    if (/^\d+$/.test(orderText)) order = Number(orderText);
    else errors.push({ path: "order", message: tText("flows:errors.orderNumber") });
  }
  const config: Record<string, unknown> = {};
  if (type === "collect_input") {
    if (!VARIABLE.test(variable)) errors.push({ path: "variable", message: tText("flows:errors.variableName") });
    config.variable = variable;
  }
  if (type === "call_workflow") {
    if (!choices.workflows.some((w) => w.id === workflowId)) errors.push({ path: "workflowId", message: tText("flows:errors.chooseWorkflow") });
    config.workflowId = workflowId;
  }
  if (type === "send_text" && !text) errors.push({ path: "text", message: tText("flows:errors.writeText") });
  if (type === "send_template" && !templateKey) errors.push({ path: "templateKey", message: tText("flows:errors.chooseTemplate") });
  if (type === "choice" && Object.keys(transitions).length === 0) errors.push({ path: "transitions", message: tText("flows:errors.choiceNeedsOption") });
  if ((type === "send_text" || type === "collect_input" || type === "choice") && templateKey && text) errors.push({ path: "text", message: tText("flows:errors.templateOrText") });
  const input = { key: str(body.key), type, templateKey, text, config, waitForInput: body.waitForInput === "true", transitions, order };
  return { input, errors };
}

/** zod's paths for transitions are `transitions.<answer>`: name the line in the message. */
function stepZodErrors(issues: z.core.$ZodIssue[]): FieldError[] {
  return zodDetails(issues).map((e) => {
    const m = /^transitions\.(.+)$/.exec(e.path);
    return m ? { path: "transitions", message: tText("flows:errors.transitionError", { answer: m[1], message: e.message }) } : e;
  });
}

function stepFormValues(body: FormBody): StepFormValues {
  const out: StepFormValues = {};
  for (const k of ["key", "type", "templateKey", "text", "variable", "workflowId", "transitions", "order"] as const) out[k] = typeof body[k] === "string" ? (body[k] as string) : "";
  out.waitForInput = body.waitForInput === "true" ? "true" : "false";
  return out;
}

function stepValuesOf(s: FlowStep): StepFormValues {
  return {
    key: s.key,
    type: s.type,
    templateKey: s.templateKey ?? "",
    text: s.text ?? "",
    variable: typeof s.config.variable === "string" ? s.config.variable : "",
    workflowId: typeof s.config.workflowId === "string" ? s.config.workflowId : "",
    waitForInput: String(s.waitForInput),
    transitions: Object.entries(s.transitions)
      .map(([a, t]) => `${a}=${t}`)
      .join("\n"),
    order: String(s.order),
  };
}

const newStepValues = (steps: FlowStep[]): StepFormValues => ({ type: "send_text", order: String(steps.length ? Math.max(...steps.map((s) => s.order)) + 1 : 0) });

// ——— Settings form ———

function settingsToInput(body: FormBody): { input: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const followUps = lines(body.followUps).map((line) => {
    const [seconds, templateKey, ...rest] = line.split(/\s+/);
    if (!seconds || !templateKey || rest.length || !/^\d+$/.test(seconds)) errors.push({ path: "followUps", message: tText("flows:errors.followUpLine", { line }) });
    return { delaySeconds: Number(seconds), templateKey: templateKey ?? "" };
  });
  return { input: { name: str(body.name), followUps }, errors };
}

const settingsValues = (body: FormBody): SettingsValues => ({ name: typeof body.name === "string" ? body.name : "", followUps: typeof body.followUps === "string" ? body.followUps : "" });
const settingsOf = (f: Flow): SettingsValues => ({ name: f.name, followUps: f.followUps.map((s) => `${s.delaySeconds} ${s.templateKey}`).join("\n") });

// ——— Rendering ———

async function loadChoices(organizationId: string) {
  const [templates, workflows] = await Promise.all([listTemplates(organizationId), listWorkflows(organizationId)]);
  const choices: StepChoices = {
    templateKeys: templates.map((t) => t.key),
    // validateFlow only accepts the organization's own workflows for call_workflow steps.
    workflows: workflows.filter((w) => w.organizationId === organizationId).map((w) => ({ id: w.id, name: w.name })),
  };
  return { choices, workflowNames: new Map(workflows.map((w) => [w.id, w.name])) };
}

type EditorState = {
  flash?: Flash;
  stepForm?: { values: StepFormValues; errors?: FieldError[]; editingKey?: string };
  editStep?: string;
  settings?: { values: SettingsValues; errors?: FieldError[] };
  tryRun?: TryRun;
  tryError?: string;
  publishRefused?: boolean;
};

async function renderEditor(admin: AdminContext, csrfToken: string, flow: Flow, state: EditorState = {}) {
  const organizationId = admin.organization.id;
  const [steps, versions, { choices, workflowNames }] = await Promise.all([getSteps(flow.id), versionsOf(organizationId, flow.lineageId), loadChoices(organizationId)]);
  const problems = await validateFlow(organizationId, steps);
  const editing = state.editStep ? steps.find((s) => s.key === state.editStep) : undefined;
  return FlowEditor({
    admin,
    csrfToken,
    flash: state.flash,
    flow,
    steps,
    problems,
    versions,
    canManage: can.manageAutomation(admin.role),
    choices,
    workflowNames,
    stepForm: state.stepForm ?? (editing ? { values: stepValuesOf(editing), editingKey: editing.key } : { values: newStepValues(steps) }),
    settings: state.settings ?? { values: settingsOf(flow) },
    tryRun: state.tryRun,
    tryError: state.tryError,
    publishRefused: state.publishRefused,
  });
}

/** Saves a step form (new, or replacing `replacingKey`): undefined when saved, else the field errors. */
async function saveStepForm(organizationId: string, flowId: string, body: FormBody, who: AuditBy, replacingKey?: string): Promise<FieldError[] | undefined> {
  const { choices } = await loadChoices(organizationId);
  const { input, errors } = stepFormToInput(body, choices);
  const parsed = flowStepSchema.safeParse(input);
  const all = [...errors, ...(parsed.success ? [] : stepZodErrors(parsed.error.issues))];
  if (!parsed.success || errors.length) return all;
  try {
    await saveStep(organizationId, flowId, parsed.data as FlowStepInput, replacingKey, who);
    return undefined;
  } catch (err) {
    if (err instanceof AppError && err.code === "validation_failed") return err.details ?? [{ path: "(body)", message: err.message }];
    throw err;
  }
}

/** Admin pages for flows: list, create, the version editor with validation, publishing, history and "try it". */
export const flowPages = new Elysia({ name: "flows-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/flows",
    async ({ admin, csrfToken, cookie }) =>
      FlowsIndex({ admin, csrfToken, flash: takeFlash(cookie), flows: await listFlows(admin.organization.id), canManage: can.manageAutomation(admin.role) }),
    { member: "agent" },
  )
  .post(
    "/flows",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      requireManage(admin);
      const b = body as FormBody;
      const parsed = createFlowSchema.safeParse({ name: str(b.name) });
      if (!parsed.success) {
        set.status = 422;
        return FlowCreateForm({ values: { name: typeof b.name === "string" ? b.name : "" }, errors: zodDetails(parsed.error.issues), csrfToken });
      }
      const flow = await createFlow(admin.organization.id, parsed.data, byUser(admin.user.id, request));
      setFlash(cookie, "success", tText("flows:flash.created"));
      return hxRedirect(request, `/flows/${flow.id}`);
    },
    { member: "agent" },
  )
  .get(
    "/flows/:id",
    async ({ admin, csrfToken, params, query, cookie }) => {
      const flow = await getFlow(admin.organization.id, params.id);
      return renderEditor(admin, csrfToken, flow, { flash: takeFlash(cookie), editStep: query.step });
    },
    { member: "agent", params: idParams, query: z.object({ step: z.string().max(200).optional() }) },
  )
  .post(
    "/flows/:id/settings",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      requireManage(admin);
      const flow = await getFlow(admin.organization.id, params.id);
      const b = body as FormBody;
      const { input, errors } = settingsToInput(b);
      const parsed = createFlowSchema.safeParse(input);
      const rerender = (all: FieldError[]) => {
        set.status = 422;
        const settings = { values: settingsValues(b), errors: all };
        return isHtmx(request) ? SettingsForm({ flowId: flow.id, ...settings, csrfToken }) : renderEditor(admin, csrfToken, flow, { settings });
      };
      if (!parsed.success || errors.length) return rerender([...errors, ...(parsed.success ? [] : zodDetails(parsed.error.issues))]);
      try {
        await updateFlowSettings(admin.organization.id, flow.id, parsed.data, byUser(admin.user.id, request));
      } catch (err) {
        if (err instanceof AppError && err.code === "validation_failed") return rerender(err.details ?? []);
        throw err;
      }
      setFlash(cookie, "success", tText("flows:flash.settingsSaved"));
      return hxRedirect(request, `/flows/${flow.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/flows/:id/steps",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      requireManage(admin);
      const flow = await getFlow(admin.organization.id, params.id);
      const errors = await saveStepForm(admin.organization.id, flow.id, body as FormBody, byUser(admin.user.id, request));
      if (errors) {
        set.status = 422;
        const stepForm = { values: stepFormValues(body as FormBody), errors };
        if (!isHtmx(request)) return renderEditor(admin, csrfToken, flow, { stepForm });
        return StepForm({ flowId: flow.id, ...stepForm, choices: (await loadChoices(admin.organization.id)).choices, csrfToken });
      }
      setFlash(cookie, "success", tText("flows:flash.stepAdded"));
      return hxRedirect(request, `/flows/${flow.id}#steps-table`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/flows/:id/steps/:key",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      requireManage(admin);
      const flow = await getFlow(admin.organization.id, params.id);
      if (!(await getSteps(flow.id)).some((s) => s.key === params.key)) throw stepNotFound();
      const errors = await saveStepForm(admin.organization.id, flow.id, body as FormBody, byUser(admin.user.id, request), params.key);
      if (errors) {
        set.status = 422;
        const stepForm = { values: stepFormValues(body as FormBody), errors, editingKey: params.key };
        if (!isHtmx(request)) return renderEditor(admin, csrfToken, flow, { stepForm });
        return StepForm({ flowId: flow.id, ...stepForm, choices: (await loadChoices(admin.organization.id)).choices, csrfToken });
      }
      setFlash(cookie, "success", tText("flows:flash.stepSaved"));
      return hxRedirect(request, `/flows/${flow.id}#steps-table`);
    },
    { member: "agent", params: stepParams },
  )
  .post(
    "/flows/:id/steps/:key/delete",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      const flow = await getFlow(admin.organization.id, params.id);
      await deleteStep(admin.organization.id, flow.id, params.key, byUser(admin.user.id, request));
      setFlash(cookie, "success", tText("flows:flash.stepDeleted"));
      return hxRedirect(request, `/flows/${flow.id}#steps-table`);
    },
    { member: "agent", params: stepParams },
  )
  .post(
    "/flows/:id/publish",
    async ({ admin, csrfToken, params, request, set, cookie }) => {
      requireManage(admin);
      const flow = await getFlow(admin.organization.id, params.id);
      try {
        const published = await publishFlow(admin.organization.id, flow.id, byUser(admin.user.id, request));
        setFlash(cookie, "success", tText("flows:flash.published", { version: published.version }));
        return hxRedirect(request, `/flows/${published.id}`);
      } catch (err) {
        if (!(err instanceof AppError && err.code === "validation_failed")) throw err;
        set.status = 422;
        if (isHtmx(request)) return ProblemsPanel({ problems: err.details ?? [], status: flow.status, refused: true });
        return renderEditor(admin, csrfToken, flow, { publishRefused: true });
      }
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/flows/:id/draft",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      const draft = await draftFor(admin.organization.id, params.id, byUser(admin.user.id, request));
      setFlash(cookie, "info", tText("flows:flash.editingDraft", { version: draft.version }));
      return hxRedirect(request, `/flows/${draft.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/flows/:id/try",
    async ({ admin, csrfToken, params, body, request, set }) => {
      // A simulation: nothing is sent and the flow is not changed, so agents may use it too.
      const organizationId = admin.organization.id;
      const flow = await getFlow(organizationId, params.id);
      const b = (body ?? {}) as FormBody;
      const threadId = str(b.threadId);
      if (threadId && !z.string().uuid().safeParse(threadId).success) throw tryRunNotFound();
      const text = typeof b.text === "string" ? b.text.trim() : "";
      let run: TryRun | undefined;
      let error: string | undefined;
      if (!threadId && (await getSteps(flow.id)).length === 0) {
        set.status = 422;
        error = tText("flows:try.addStepFirst");
      } else if (!threadId || b.reset === "true") {
        if (threadId) await setThreadStatus(organizationId, (await getTryRun(organizationId, flow, threadId)).threadId, "archived");
        run = await startTryRun(organizationId, flow, { id: admin.user.id, name: admin.user.name });
      } else if (!text || text.length > 2000) {
        set.status = 422;
        error = text ? tText("flows:try.answerMax", { count: 2000 }) : tText("flows:try.typeAnswer");
        run = await getTryRun(organizationId, flow, threadId);
      } else {
        run = await answerTryRun(organizationId, flow, threadId, text, admin.user.name);
      }
      if (isHtmx(request)) return TryPanel({ flowId: flow.id, version: flow.version, run, error, csrfToken });
      return renderEditor(admin, csrfToken, flow, { tryRun: run, tryError: error });
    },
    { member: "agent", params: idParams },
  );
