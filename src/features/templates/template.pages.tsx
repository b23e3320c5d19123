import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, formLines, formText, parseForm, unprocessable, type FormBody, type FormErrorOptions } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { TemplateForm, TemplatePreview, TemplateShow, TemplatesIndex, type TemplateFormValues } from "@views/templates/index";
import { createTemplateSchema } from "./template.schema";
import { listProviderTemplates, syncInstanceTemplates } from "./provider-template.service";
import { listInstances } from "@/features/instances/instance.service";
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  listTemplates,
  renderTemplateByKey,
  toPublicTemplate,
  updateTemplate,
  type Template,
} from "./template.service";

const idParams = z.object({ id: z.string().uuid() });

/** The provider templates (Cloud WABAs) listed beside the local ones, and the instances that can sync. */
async function providerTemplatesView(admin: AdminContext) {
  const [rows, instances] = await Promise.all([listProviderTemplates(admin), listInstances(admin, { limit: 100 })]);
  const names = new Map(instances.data.map((i) => [i.id, i.name]));
  return {
    providerTemplates: rows.map((r) => ({ ...r, instanceName: names.get(r.instanceId) ?? "—" })),
    syncable: instances.data.filter((i) => i.provider === "cloud").map((i) => ({ id: i.id, name: i.name })),
  };
}
const str = formText;

/** Form fields → API input (variants one per line, variables comma separated). */
function formToInput(body: FormBody) {
  return {
    key: str(body.key).trim(),
    body: str(body.body),
    variants: formLines(body.variants),
    variables: str(body.variables)
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
    locale: str(body.locale).trim() || null,
    category: str(body.category).trim() || null,
    active: checkbox(body.active),
  };
}

function formValues(body: FormBody): TemplateFormValues {
  return {
    key: str(body.key),
    body: str(body.body),
    variants: str(body.variants),
    variables: str(body.variables),
    locale: str(body.locale),
    category: str(body.category),
    active: checkbox(body.active) ? "true" : "false",
  };
}

function valuesOf(t: Template): TemplateFormValues {
  return {
    key: t.key,
    body: t.body,
    variants: t.variants.join("\n"),
    variables: t.variables.join(", "),
    locale: t.locale ?? "",
    category: t.category ?? "",
    active: String(t.active),
  };
}

function requireManage(admin: AdminContext) {
  if (!can.manageAutomation(admin.role)) throw new AppError("forbidden", tText("templates:errors.forbidden"));
}

/** A duplicate key (the service's 409) is said next to the key field. */
const KEY_CONFLICT: FormErrorOptions = { codes: ["conflict"], path: "key" };

export const templatesPages = new Elysia({ name: "templates-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/templates",
    async ({ admin, csrfToken, cookie }) =>
      TemplatesIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        templates: (await listTemplates(admin.organization.id)).map(toPublicTemplate),
        canManage: can.manageAutomation(admin.role),
        ...(await providerTemplatesView(admin)),
      }),
    { member: "agent" },
  )
  .post(
    "/templates/provider/sync",
    async ({ admin, body, request, cookie }) => {
      requireManage(admin);
      const { synced } = await syncInstanceTemplates(admin, str(formFields(body).instanceId));
      setFlash(cookie, "success", tText("templates:provider.synced", { count: synced }));
      return hxRedirect(request, "/templates#provider-templates");
    },
    { member: "agent" },
  )
  .post(
    "/templates",
    async ({ admin, body, request, set, cookie }) => {
      requireManage(admin);
      const b = formFields(body);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => TemplateForm({ action: "/templates", values: formValues(b), errors, submitLabel: tText("templates:form.create") }));
      const parsed = parseForm(createTemplateSchema, formToInput(b));
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createTemplate(admin, parsed.value), KEY_CONFLICT);
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("templates:flash.created"));
      return hxRedirect(request, `/templates/${created.value.id}`);
    },
    { member: "agent" },
  )
  .get(
    "/templates/:id",
    async ({ admin, csrfToken, params, cookie }) => {
      const t = await getTemplate(admin.organization.id, params.id);
      return TemplateShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        template: toPublicTemplate(t),
        canManage: can.manageAutomation(admin.role),
        values: valuesOf(t),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/templates/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      requireManage(admin);
      await getTemplate(admin.organization.id, params.id);
      const b = formFields(body);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => TemplateForm({ action: `/templates/${params.id}`, values: formValues(b), errors, submitLabel: tText("common:actions.save") }));
      const parsed = parseForm(createTemplateSchema, formToInput(b));
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateTemplate(admin, params.id, parsed.value), KEY_CONFLICT);
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("templates:flash.saved"));
      return hxRedirect(request, `/templates/${params.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/templates/:id/delete",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      await deleteTemplate(admin, params.id);
      setFlash(cookie, "success", tText("templates:flash.deleted"));
      return hxRedirect(request, "/templates");
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/templates/:id/preview",
    async ({ admin, params, body, set }) => {
      const t = await getTemplate(admin.organization.id, params.id);
      const variables: Record<string, string> = {};
      for (const [k, v] of Object.entries(formFields(body))) if (k.startsWith("var.") && typeof v === "string" && v !== "") variables[k.slice(4)] = v;
      const rendered = await attemptForm(() => renderTemplateByKey(admin.organization.id, t.key, variables));
      if (!rendered.ok) return unprocessable(set, () => TemplatePreview({ errors: rendered.errors }));
      return TemplatePreview({ text: rendered.value.body });
    },
    { member: "agent", params: idParams },
  );
