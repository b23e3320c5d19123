import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { listAllInstances } from "@/features/instances/instance.service";
import { listTemplates } from "@/features/templates/template.service";
import { AppError, type FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, parseForm, type FormBody } from "@/lib/forms";
import { setFlash, takeFlash, type Flash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { TriggerForm, type TriggerChoices, type TriggerFormValues } from "@views/triggers/_form";
import { TriggerEdit, TriggersIndex, TriggerTestResult, type TargetLabel, type TriggerListItem, type TriggerTestResultProps } from "@views/triggers/index";
import { triggerSchema, triggerTestSchema } from "./trigger.schema";
import { triggerTargets } from "./trigger.targets";
import { createTrigger, deleteTrigger, getTrigger, listTriggers, previewTriggers, setTriggerActive, updateTrigger, type Trigger } from "./trigger.service";

const idParams = z.object({ id: z.string().uuid() });

const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(str).filter(Boolean);

/** Form fields → the API's input shape, so triggerSchema guards both. */
function formToInput(body: FormBody): { input: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const int = (k: string) => {
    const v = str(body[k]);
    if (v === "") return undefined;
    if (!/^-?\d+$/.test(v)) {
      errors.push({ path: k, message: tText("triggers:errors.wholeNumber") });
      return undefined;
    }
    return Number(v);
  };
  const input = {
    name: str(body.name),
    match: str(body.match),
    pattern: str(body.pattern),
    priority: int("priority"),
    cooldownSeconds: int("cooldownSeconds"),
    instanceIds: list(body.instanceIds),
    active: body.active === "true",
    action: str(body.action),
    templateKey: str(body.templateKey) || null,
    flowId: str(body.flowId) || null,
    workflowId: str(body.workflowId) || null,
  };
  return { input, errors };
}

function formValues(body: FormBody): TriggerFormValues {
  return {
    name: str(body.name),
    match: str(body.match),
    pattern: str(body.pattern),
    priority: str(body.priority),
    cooldownSeconds: str(body.cooldownSeconds),
    instanceIds: list(body.instanceIds),
    active: body.active === "true" ? "true" : "false",
    action: str(body.action),
    templateKey: str(body.templateKey),
    flowId: str(body.flowId),
    workflowId: str(body.workflowId),
  };
}

/** Everything the list, the form and the test box need to name things, loaded once per request. */
async function loadContext(admin: AdminContext) {
  const organizationId = admin.organization.id;
  const targets = triggerTargets();
  const [instances, templates, lineages, versions, workflows] = await Promise.all([
    listAllInstances(admin),
    listTemplates(organizationId),
    targets.flowLineages(organizationId),
    targets.flowVersions(organizationId),
    targets.workflows(organizationId),
  ]);
  const liveByLineage = new Map(lineages.filter((l) => l.published).map((l) => [l.latest.lineageId, l.published!]));
  const choices: TriggerChoices = {
    instances: instances.map((i) => ({ id: i.id, name: i.name })),
    templateKeys: templates.map((t) => t.key),
    flows: [...liveByLineage.values()].map((f) => ({ id: f.id, name: f.name, version: f.version })),
    workflows: workflows.filter((w) => w.provider !== "flow").map((w) => ({ id: w.id, name: w.name, system: w.organizationId === null })),
  };
  const versionById = new Map(versions.map((f) => [f.id, f]));
  const templateByKey = new Map(templates.map((t) => [t.key, t]));
  const workflowById = new Map(workflows.map((w) => [w.id, w]));
  const instanceName = new Map(instances.map((i) => [i.id, i.name]));

  /** A trigger follows its flow's lineage: it starts whichever version is live (see startFlow). */
  const liveFlowOf = (flowId: string | null) => {
    const version = flowId ? versionById.get(flowId) : undefined;
    return { version, live: version ? liveByLineage.get(version.lineageId) : undefined };
  };

  const target = (t: Trigger): TargetLabel => {
    if (t.action === "reply_template") {
      const tpl = t.templateKey ? templateByKey.get(t.templateKey) : undefined;
      return {
        text: t.templateKey ?? "—",
        href: tpl ? `/templates/${tpl.id}` : undefined,
        warning: tpl ? (tpl.active ? undefined : tText("triggers:target.templateInactive")) : tText("triggers:target.templateMissing"),
      };
    }
    if (t.action === "start_flow") {
      const { version, live } = liveFlowOf(t.flowId);
      if (!version) return { text: "—", warning: tText("triggers:target.flowDeleted") };
      return live
        ? { text: tText("triggers:target.flowLive", { name: live.name, version: live.version }), href: `/flows/${live.id}` }
        : { text: version.name, href: `/flows/${version.id}`, warning: tText("triggers:target.noLiveVersion") };
    }
    const w = t.workflowId ? workflowById.get(t.workflowId) : undefined;
    return w
      ? { text: w.name, href: `/workflows/${w.id}`, warning: w.isActive ? undefined : tText("triggers:target.workflowInactive") }
      : { text: "—", warning: tText("triggers:target.workflowDeleted") };
  };

  const item = (t: Trigger): TriggerListItem => ({
    trigger: t,
    target: target(t),
    instanceNames: (t.instanceIds ?? []).map((id) => instanceName.get(id) ?? tText("triggers:deletedInstance")),
  });

  const valuesOf = (t: Trigger): TriggerFormValues => ({
    name: t.name,
    match: t.match,
    pattern: t.pattern,
    priority: String(t.priority),
    cooldownSeconds: String(t.cooldownSeconds),
    instanceIds: t.instanceIds ?? [],
    active: String(t.active),
    action: t.action,
    templateKey: t.templateKey ?? "",
    flowId: liveFlowOf(t.flowId).live?.id ?? t.flowId ?? "",
    workflowId: t.workflowId ?? "",
  });

  return { choices, item, valuesOf };
}

function requireManage(admin: AdminContext) {
  if (!can.manageAutomation(admin.role)) throw new AppError("forbidden", tText("triggers:errors.forbidden"));
}

async function renderIndex(
  admin: AdminContext,
  csrfToken: string,
  extra: { flash?: Flash; values?: TriggerFormValues; errors?: FieldError[]; testResult?: TriggerTestResultProps } = {},
) {
  const ctx = await loadContext(admin);
  return TriggersIndex({
    admin,
    csrfToken,
    flash: extra.flash,
    items: (await listTriggers(admin.organization.id)).map(ctx.item),
    canManage: can.manageAutomation(admin.role),
    choices: ctx.choices,
    values: extra.values,
    errors: extra.errors,
    testResult: extra.testResult,
  });
}

/**
 * Validates a trigger form and hands it to `save`; returns the field errors to re-render with (422),
 * or undefined when saved. Reference errors (unknown template, another org's instance) come from the service.
 */
async function saveForm(body: FormBody, save: (input: ReturnType<typeof triggerSchema.parse>) => Promise<unknown>): Promise<FieldError[] | undefined> {
  const { input, errors } = formToInput(body);
  const parsed = parseForm(triggerSchema, input, errors);
  if (!parsed.ok) return parsed.errors;
  const saved = await attemptForm(() => save(parsed.value));
  return saved.ok ? undefined : saved.errors;
}

/** Admin pages for triggers: list by priority, create/edit, enable/disable, delete and a "test a message" box. */
export const triggerPages = new Elysia({ name: "triggers-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get("/triggers", async ({ admin, csrfToken, cookie }) => renderIndex(admin, csrfToken, { flash: takeFlash(cookie) }), { member: "agent" })
  .post(
    "/triggers",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      requireManage(admin);
      const errors = await saveForm(formFields(body), (input) => createTrigger(admin, input));
      if (errors) {
        set.status = 422;
        const ctx = await loadContext(admin);
        return TriggerForm({
          action: "/triggers",
          values: formValues(formFields(body)),
          errors,
          choices: ctx.choices,
          csrfToken,
          submitLabel: tText("triggers:form.create"),
        });
      }
      setFlash(cookie, "success", tText("triggers:flash.created"));
      return hxRedirect(request, "/triggers");
    },
    { member: "agent" },
  )
  .post(
    "/triggers/test",
    async ({ admin, csrfToken, body, request, set }) => {
      const b = formFields(body);
      const text = typeof b.text === "string" ? b.text : "";
      const parsed = parseForm(triggerTestSchema, { text, instanceId: str(b.instanceId) || null, firstMessage: checkbox(b.firstMessage) });
      const ctx = await loadContext(admin);
      const errors = parsed.ok ? [] : [...parsed.errors];
      const instanceId = parsed.ok ? (parsed.value.instanceId ?? null) : null;
      if (instanceId && !ctx.choices.instances.some((i) => i.id === instanceId))
        errors.push({ path: "instanceId", message: tText("triggers:errors.instanceOfOrganization") });
      let result: TriggerTestResultProps;
      if (!parsed.ok || errors.length) {
        set.status = 422;
        result = { text, checks: [], errors };
      } else {
        const { fired, checks } = await previewTriggers(admin.organization.id, text, { instanceId, isFirstMessage: parsed.value.firstMessage });
        result = { text, fired: fired ? ctx.item(fired) : undefined, checks: checks.map((c) => ({ ...c, item: ctx.item(c.trigger) })) };
      }
      if (isHtmx(request)) return TriggerTestResult(result);
      // Without JavaScript the box posts as a plain form: answer with the whole page and the result in place.
      return renderIndex(admin, csrfToken, { testResult: result });
    },
    { member: "agent" },
  )
  .get(
    "/triggers/:id",
    async ({ admin, csrfToken, params, cookie }) => {
      const trigger = await getTrigger(admin.organization.id, params.id);
      const ctx = await loadContext(admin);
      return TriggerEdit({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        item: ctx.item(trigger),
        canManage: can.manageAutomation(admin.role),
        choices: ctx.choices,
        values: ctx.valuesOf(trigger),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/triggers/:id",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      requireManage(admin);
      await getTrigger(admin.organization.id, params.id);
      const errors = await saveForm(formFields(body), (input) => updateTrigger(admin, params.id, input));
      if (errors) {
        set.status = 422;
        const ctx = await loadContext(admin);
        return TriggerForm({
          action: `/triggers/${params.id}`,
          values: formValues(formFields(body)),
          errors,
          choices: ctx.choices,
          csrfToken,
          submitLabel: tText("common:actions.save"),
        });
      }
      setFlash(cookie, "success", tText("triggers:flash.saved"));
      return hxRedirect(request, "/triggers");
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/triggers/:id/toggle",
    async ({ admin, params, body, request, cookie }) => {
      requireManage(admin);
      const active = checkbox(formFields(body).active);
      await setTriggerActive(admin, params.id, active);
      setFlash(cookie, "success", tText(active ? "triggers:flash.enabled" : "triggers:flash.disabled"));
      return hxRedirect(request, "/triggers");
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/triggers/:id/delete",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      await deleteTrigger(admin, params.id);
      setFlash(cookie, "success", tText("triggers:flash.deleted"));
      return hxRedirect(request, "/triggers");
    },
    { member: "agent", params: idParams },
  );
