import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, checkbox, formFields, formLines, formText, formValues, parseForm, unprocessable, type FormBody } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { ToolForm, ToolShow, ToolsIndex, type ToolFormValues } from "@views/tools/index";
import { createToolSchema, updateToolSchema } from "./tool.schema";
import { createTool, deleteTool, getTool, listTools, recentRecords, toPublicTool, updateTool, type AiTool } from "./tool.service";

const idParams = z.object({ id: z.string().uuid() });

function requireManage(admin: AdminContext) {
  if (!can.manageAutomation(admin.role)) throw new AppError("forbidden", tText("workflows:errors.manageOnly"));
}

/** "Name: value" lines → headers; a line without a colon is an error at `path`. */
function headerLines(text: unknown, secret: boolean, path: string, errors: FieldError[]) {
  return formLines(text).flatMap((line) => {
    const at = line.indexOf(":");
    if (at <= 0) {
      // A secret line is never echoed back: it may be the secret itself.
      errors.push({ path, message: tText("tools:errors.headerLine", { line: secret ? "…" : line }) });
      return [];
    }
    return [{ name: line.slice(0, at).trim(), value: line.slice(at + 1).trim(), secret }];
  });
}

/**
 * Form fields → the API's input, so one zod schema guards both. On edit, an empty secret-headers box
 * keeps the stored secrets (sent by name without a value).
 */
function formToInput(body: FormBody, current?: AiTool): { input: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  let parameters: unknown;
  try {
    parameters = JSON.parse(formText(body.parameters) || "null");
  } catch {
    errors.push({ path: "parameters", message: tText("tools:errors.schemaJson") });
  }
  const plain = headerLines(body.headers, false, "headers", errors);
  const typedSecrets = headerLines(body.secretHeaders, true, "secretHeaders", errors);
  const secrets =
    typedSecrets.length > 0 || !current ? typedSecrets : current.headers.filter((h) => h.secret).map((h) => ({ name: h.name, secret: true as const }));
  const timeout = formText(body.timeoutMs).trim();
  const input: Record<string, unknown> = {
    name: formText(body.name).trim(),
    description: formText(body.description).trim(),
    parameters,
    method: formText(body.method) || "POST",
    url: formText(body.url).trim(),
    headers: [...plain, ...secrets],
    active: checkbox(body.active),
    ...(timeout ? { timeoutMs: Number(timeout) } : {}),
  };
  return { input, errors };
}

function valuesOf(t: AiTool): ToolFormValues {
  return {
    name: t.name,
    description: t.description,
    parameters: JSON.stringify(t.parameters, null, 2),
    method: t.method,
    url: t.url,
    headers: t.headers
      .filter((h) => !h.secret)
      .map((h) => `${h.name}: ${h.value ?? ""}`)
      .join("\n"),
    timeoutMs: String(t.timeoutMs),
    active: String(t.active),
  };
}

/** What was typed, shown back on a 422, except secret header values. */
function typedValues(body: FormBody): ToolFormValues {
  const { secretHeaders: _secret, ...values } = formValues(body);
  return { ...values, active: checkbox(body.active) ? "true" : "false" };
}

/** `/tools`: the organization's custom HTTP tools and the records the AI tools created. */
export const toolsPages = new Elysia({ name: "tools-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/tools",
    async ({ admin, csrfToken, cookie }) =>
      ToolsIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        tools: (await listTools(admin.organization.id)).map(toPublicTool),
        canManage: can.manageAutomation(admin.role),
        records: await recentRecords(admin.organization.id),
      }),
    { member: "agent" },
  )
  .post(
    "/tools",
    async ({ admin, body, request, set, cookie }) => {
      requireManage(admin);
      const b = formFields(body);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => ToolForm({ action: "/tools", values: typedValues(b), errors, submitLabel: tText("tools:create") }));
      const { input, errors } = formToInput(b);
      const parsed = parseForm(createToolSchema, input, errors);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createTool(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("tools:created"));
      return hxRedirect(request, `/tools/${created.value.id}`);
    },
    { member: "agent" },
  )
  .get(
    "/tools/:id",
    async ({ admin, csrfToken, params, cookie }) => {
      const tool = await getTool(admin.organization.id, params.id);
      return ToolShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        tool: toPublicTool(tool),
        canManage: can.manageAutomation(admin.role),
        values: valuesOf(tool),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/tools/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      requireManage(admin);
      const current = await getTool(admin.organization.id, params.id);
      const b = formFields(body);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () =>
          ToolForm({
            action: `/tools/${params.id}`,
            values: typedValues(b),
            errors,
            submitLabel: tText("tools:save"),
            secretNames: current.headers.filter((h) => h.secret).map((h) => h.name),
          }),
        );
      const { input, errors } = formToInput(b, current);
      const parsed = parseForm(updateToolSchema, input, errors);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateTool(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("tools:saved"));
      return hxRedirect(request, `/tools/${params.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/tools/:id/delete",
    async ({ admin, params, request, cookie }) => {
      requireManage(admin);
      await deleteTool(admin, params.id);
      setFlash(cookie, "success", tText("tools:deleted"));
      return hxRedirect(request, "/tools");
    },
    { member: "agent", params: idParams },
  );
