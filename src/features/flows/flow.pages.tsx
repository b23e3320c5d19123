import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { listTemplates } from "@/features/templates/template.service";
import { setThreadStatus } from "@/features/workflows/thread.service";
import { listWorkflows } from "@/features/workflows/workflow.service";
import { AppError, type FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, formLines, formText, optionalText, parseForm, unprocessable, type FormBody } from "@/lib/forms";
import { setFlash, takeFlash, type Flash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { FlowCreateForm, FlowsIndex } from "@views/flows/index";
import { FlowEditor, SettingsForm, type SettingsValues } from "@views/flows/show";
import { ProblemsPanel } from "@views/flows/_problems";
import { StepForm, type StepChoices, type StepFormValues } from "@views/flows/_steps";
import { TryPanel } from "@views/flows/_try";
import { followUpLines, parseFollowUpLines } from "@/features/workflows/workflow.schema";
import { createFlowSchema, flowStepSchema, parseTransitionLines } from "./flow.schema";
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

function requireManage(admin: AdminContext) {
  if (!can.manageAutomation(admin.role)) throw new AppError("forbidden", tText("flows:errors.forbidden"));
}

// ——— Step form ———

/**
 * Step form fields → the `/v1` step body, checked by the same flowStepSchema. Fields are named by
 * their API path (`config.variable`); only the transitions textarea has a shape of its own.
 */
function stepFormToInput(body: FormBody): { input: Record<string, unknown>; errors: FieldError[] } {
  const type = formText(body.type).trim();
  const { transitions, errors } = parseTransitionLines(formLines(body.transitions));
  const rawText = formText(body.text).replace(/\r\n?/g, "\n");
  const orderText = formText(body.order).trim();
  const config: Record<string, unknown> = {};
  if (type === "collect_input") config.variable = formText(body["config.variable"]);
  if (type === "call_workflow") config.workflowId = formText(body["config.workflowId"]).trim();
  const input = {
    key: formText(body.key).trim(),
    type,
    templateKey: optionalText(body.templateKey) ?? null,
    text: rawText.trim() ? rawText.trimEnd() : null,
    config,
    waitForInput: checkbox(body.waitForInput),
    transitions,
    // A number field left empty takes the schema's default; anything not a number is the schema's error.
    order: orderText === "" ? undefined : /^\d+$/.test(orderText) ? Number(orderText) : orderText,
  };
  return { input, errors };
}

const STEP_FIELDS = ["key", "type", "templateKey", "text", "config.variable", "config.workflowId", "transitions", "order"] as const;

function stepFormValues(body: FormBody): StepFormValues {
  const out: StepFormValues = {};
  for (const k of STEP_FIELDS) out[k] = formText(body[k]);
  out.waitForInput = checkbox(body.waitForInput) ? "true" : "false";
  return out;
}

function stepValuesOf(s: FlowStep): StepFormValues {
  return {
    key: s.key,
    type: s.type,
    templateKey: s.templateKey ?? "",
    text: s.text ?? "",
    "config.variable": typeof s.config.variable === "string" ? s.config.variable : "",
    "config.workflowId": typeof s.config.workflowId === "string" ? s.config.workflowId : "",
    waitForInput: String(s.waitForInput),
    transitions: Object.entries(s.transitions)
      .map(([a, t]) => `${a}=${t}`)
      .join("\n"),
    order: String(s.order),
  };
}

const newStepValues = (steps: FlowStep[]): StepFormValues => ({
  type: "send_text",
  order: String(steps.length ? Math.max(...steps.map((s) => s.order)) + 1 : 0),
});

// ——— Settings form ———

function settingsToInput(body: FormBody): { input: Record<string, unknown>; errors: FieldError[] } {
  const { stages, errors } = parseFollowUpLines(formText(body.followUps), "followUps");
  return { input: { name: formText(body.name).trim(), followUps: stages }, errors };
}

const settingsValues = (body: FormBody): SettingsValues => ({ name: formText(body.name), followUps: formText(body.followUps) });
const settingsOf = (f: Flow): SettingsValues => ({ name: f.name, followUps: followUpLines(f.followUps) });

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
  const [steps, versions, { choices, workflowNames }] = await Promise.all([
    getSteps(flow.id),
    versionsOf(organizationId, flow.lineageId),
    loadChoices(organizationId),
  ]);
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
async function saveStepForm(admin: AdminContext, flowId: string, body: FormBody, replacingKey?: string): Promise<FieldError[] | undefined> {
  const { input, errors } = stepFormToInput(body);
  const parsed = parseForm(flowStepSchema, input, errors);
  if (!parsed.ok) return parsed.errors;
  const saved = await attemptForm(() => saveStep(admin, flowId, parsed.value, replacingKey));
  return saved.ok ? undefined : saved.errors;
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
      const b = formFields(body);
      const parsed = parseForm(createFlowSchema, { name: formText(b.name).trim() });
      if (!parsed.ok) return unprocessable(set, () => FlowCreateForm({ values: { name: formText(b.name) }, errors: parsed.errors, csrfToken }));
      const flow = await createFlow(admin, parsed.value);
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
      const b = formFields(body);
      const { input, errors } = settingsToInput(b);
      const rerender = (all: FieldError[]) =>
        unprocessable(set, () => {
          const settings = { values: settingsValues(b), errors: all };
          return isHtmx(request) ? SettingsForm({ flowId: flow.id, ...settings, csrfToken }) : renderEditor(admin, csrfToken, flow, { settings });
        });
      const parsed = parseForm(createFlowSchema, input, errors);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateFlowSettings(admin, flow.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
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
      const errors = await saveStepForm(admin, flow.id, formFields(body));
      if (errors) {
        set.status = 422;
        const stepForm = { values: stepFormValues(formFields(body)), errors };
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
      const errors = await saveStepForm(admin, flow.id, formFields(body), params.key);
      if (errors) {
        set.status = 422;
        const stepForm = { values: stepFormValues(formFields(body)), errors, editingKey: params.key };
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
      await deleteStep(admin, flow.id, params.key);
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
        const published = await publishFlow(admin, flow.id);
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
      const draft = await draftFor(admin, params.id);
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
      const b = formFields(body);
      const threadId = formText(b.threadId).trim();
      if (threadId && !z.string().uuid().safeParse(threadId).success) throw tryRunNotFound();
      const text = formText(b.text).trim();
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
