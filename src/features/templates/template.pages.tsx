import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, zodDetails, type FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { byUser } from "@/features/audit/audit.service";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { TemplateForm, TemplatePreview, TemplateShow, TemplatesIndex, type TemplateFormValues } from "@views/templates/index";
import { createTemplateSchema } from "./template.schema";
import { createTemplate, deleteTemplate, getTemplate, listTemplates, renderTemplateByKey, toPublicTemplate, updateTemplate, type Template } from "./template.service";

const idParams = z.object({ id: z.string().uuid() });
type FormBody = Record<string, unknown>;

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Form fields → API input (variants one per line, variables comma separated). */
function formToInput(body: FormBody) {
  return {
    key: str(body.key).trim(),
    body: str(body.body),
    variants: str(body.variants).split(/\r?\n/).map((l) => l.trim()).filter(Boolean),
    variables: str(body.variables).split(",").map((v) => v.trim()).filter(Boolean),
    locale: str(body.locale).trim() || null,
    category: str(body.category).trim() || null,
    active: body.active === "true",
  };
}

function formValues(body: FormBody): TemplateFormValues {
  return { key: str(body.key), body: str(body.body), variants: str(body.variants), variables: str(body.variables), locale: str(body.locale), category: str(body.category), active: body.active === "true" ? "true" : "false" };
}

function valuesOf(t: Template): TemplateFormValues {
  return { key: t.key, body: t.body, variants: t.variants.join("\n"), variables: t.variables.join(", "), locale: t.locale ?? "", category: t.category ?? "", active: String(t.active) };
}

function requireManage(admin: AdminContext) {
  if (!can.manageAutomation(admin.role)) throw new AppError("forbidden", tText("templates:errors.forbidden"));
}

/** Turns a duplicate key (the service's 409) into a field error so the form can say it. */
function keyConflict(err: unknown): FieldError[] | undefined {
  if (err instanceof AppError && err.code === "conflict") return [{ path: "key", message: err.message }];
  return undefined;
}

export const templatesPages = new Elysia({ name: "templates-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/templates",
    async ({ admin, csrfToken, cookie }) =>
      TemplatesIndex({ admin, csrfToken, flash: takeFlash(cookie), templates: (await listTemplates(admin.organization.id)).map(toPublicTemplate), canManage: can.manageAutomation(admin.role) }),
    { member: "agent" },
  )
  .post(
    "/templates",
    async ({ admin, body, request, set, cookie }) => {
      requireManage(admin);
      const parsed = createTemplateSchema.safeParse(formToInput(body as FormBody));
      const rerender = (errors: FieldError[]) => {
        set.status = 422;
        return TemplateForm({ action: "/templates", values: formValues(body as FormBody), errors, submitLabel: tText("templates:form.create") });
      };
      if (!parsed.success) return rerender(zodDetails(parsed.error.issues));
      try {
        const t = await createTemplate(admin.organization.id, parsed.data, byUser(admin.user.id, request));
        setFlash(cookie, "success", tText("templates:flash.created"));
        return hxRedirect(request, `/templates/${t.id}`);
      } catch (err) {
        const errors = keyConflict(err);
        if (errors) return rerender(errors);
        throw err;
      }
    },
    { member: "agent" },
  )
  .get(
    "/templates/:id",
    async ({ admin, csrfToken, params, cookie }) => {
      const t = await getTemplate(admin.organization.id, params.id);
      return TemplateShow({ admin, csrfToken, flash: takeFlash(cookie), template: toPublicTemplate(t), canManage: can.manageAutomation(admin.role), values: valuesOf(t) });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/templates/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      requireManage(admin);
      await getTemplate(admin.organization.id, params.id);
      const parsed = createTemplateSchema.safeParse(formToInput(body as FormBody));
      const rerender = (errors: FieldError[]) => {
        set.status = 422;
        return TemplateForm({ action: `/templates/${params.id}`, values: formValues(body as FormBody), errors, submitLabel: tText("common:actions.save") });
      };
      if (!parsed.success) return rerender(zodDetails(parsed.error.issues));
      try {
        await updateTemplate(admin.organization.id, params.id, parsed.data, byUser(admin.user.id, request));
      } catch (err) {
        const errors = keyConflict(err);
        if (errors) return rerender(errors);
        throw err;
      }
      setFlash(cookie, "success", tText("templates:flash.saved"));
      return hxRedirect(request, `/templates/${params.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/templates/:id/delete",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      await deleteTemplate(admin.organization.id, params.id, byUser(admin.user.id, request));
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
      for (const [k, v] of Object.entries((body ?? {}) as FormBody)) if (k.startsWith("var.") && typeof v === "string" && v !== "") variables[k.slice(4)] = v;
      try {
        const { body: text } = await renderTemplateByKey(admin.organization.id, t.key, variables);
        return TemplatePreview({ text });
      } catch (err) {
        if (err instanceof AppError && err.code === "validation_failed") {
          set.status = 422;
          return TemplatePreview({ errors: err.details });
        }
        throw err;
      }
    },
    { member: "agent", params: idParams },
  );
