import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { transferConversation } from "@/features/conversations/routing";
import { getConversation } from "@/features/conversations/conversation.service";
import type { FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, formList, formText, parseForm, unprocessable, type FormBody } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect, hxTrigger } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { DepartmentForm, DepartmentShow, DepartmentsIndex, GreetingMenuForm, GreetingMenuPage, type DepartmentFormValues } from "@views/departments/index";
import { TransferForm, type TransferFormValues } from "@views/departments/_transfer";
import { departmentInputSchema, greetingMenuSchema, transferSchema } from "./department.schema";
import {
  assertManager,
  createDepartment,
  deleteDepartment,
  getDepartment,
  listDepartments,
  memberOptions,
  updateDepartment,
  type DepartmentWithMembers,
} from "./department.service";
import { getGreetingMenu, listGreetingMenus, saveGreetingMenu } from "./greeting-menu";

const idParams = z.object({ id: z.string().max(64) });

function formValues(body: FormBody): DepartmentFormValues {
  return {
    name: formText(body.name),
    color: formText(body.color),
    active: checkbox(body.active),
    autoCloseMinutes: formText(body.autoCloseMinutes),
    autoCloseMessage: formText(body.autoCloseMessage),
    memberIds: formList(body.memberIds),
  };
}

function valuesOf(d: DepartmentWithMembers): DepartmentFormValues {
  return {
    name: d.name,
    color: d.color,
    active: d.active,
    autoCloseMinutes: d.autoCloseMinutes === null ? "" : String(d.autoCloseMinutes),
    autoCloseMessage: d.autoCloseMessage ?? "",
    memberIds: d.members.map((m) => m.id),
  };
}

/**
 * The menu form posts `options` (ticked department ids) and `position.<id>` (their order): the ids sorted by
 * position (ties and blanks keep the page's order) become the ordered option list.
 */
function menuInput(body: FormBody) {
  const ticked = formList(body.options);
  const positionOf = (id: string) => {
    const n = Number(formText(body[`position.${id}`]));
    return Number.isFinite(n) && n > 0 ? n : Number.MAX_SAFE_INTEGER;
  };
  const ordered = ticked.map((id, i) => ({ id, i, p: positionOf(id) })).sort((a, b) => a.p - b.p || a.i - b.i);
  return {
    enabled: checkbox(body.enabled),
    greeting: formText(body.greeting),
    options: ordered.map((o) => o.id),
    maxAttempts: formText(body.maxAttempts),
    fallbackDepartmentId: formText(body.fallbackDepartmentId),
  };
}

/** Departments (admins manage; supervisors read), the instances' greeting menus, and the inbox's transfer form. */
export const departmentsPages = new Elysia({ name: "departments-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/departments",
    async ({ admin, csrfToken, cookie }) =>
      DepartmentsIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        departments: await listDepartments(admin),
        menus: await listGreetingMenus(admin),
        members: await memberOptions(admin),
        canManage: can.manageDepartments(admin.role),
      }),
    { member: "supervisor", detail: { hide: true } },
  )
  .post(
    "/departments",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      // Refused before the form is read: a supervisor gets 403, not field errors.
      assertManager(admin);
      const values = formValues(formFields(body));
      const members = await memberOptions(admin);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => DepartmentForm({ action: "/departments", csrfToken, values, members, errors, submitLabel: tText("departments:form.create") }));
      const parsed = parseForm(departmentInputSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createDepartment(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("departments:flash.created"));
      return hxRedirect(request, "/departments");
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .get(
    "/departments/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const department = await getDepartment(admin, params.id);
      return DepartmentShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        department,
        values: valuesOf(department),
        members: await memberOptions(admin),
        canManage: can.manageDepartments(admin.role),
      });
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .post(
    "/departments/:id",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      await getDepartment(admin, params.id);
      assertManager(admin);
      const values = formValues(formFields(body));
      const action = `/departments/${params.id}`;
      const members = await memberOptions(admin);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => DepartmentForm({ action, csrfToken, values, members, errors, submitLabel: tText("departments:form.save") }));
      const parsed = parseForm(departmentInputSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      // A form sends every field: an empty idle time or message clears it.
      const patch = { ...parsed.value, autoCloseMinutes: parsed.value.autoCloseMinutes ?? null, autoCloseMessage: parsed.value.autoCloseMessage ?? null };
      const saved = await attemptForm(() => updateDepartment(admin, params.id, patch));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("departments:flash.saved"));
      return hxRedirect(request, action);
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .post(
    "/departments/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteDepartment(admin, params.id);
      setFlash(cookie, "success", tText("departments:flash.deleted"));
      return hxRedirect(request, "/departments");
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .get(
    "/departments/menus/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const menu = await getGreetingMenu(admin, params.id);
      const instanceName = (await listGreetingMenus(admin)).find((m) => m.instanceId === menu.instanceId)?.instanceName ?? "";
      return GreetingMenuPage({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        menu: { ...menu, instanceName },
        departments: await listDepartments(admin),
        canManage: can.manageDepartments(admin.role),
      });
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .post(
    "/departments/menus/:id",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const current = await getGreetingMenu(admin, params.id);
      assertManager(admin);
      const fields = formFields(body);
      const input = menuInput(fields);
      const departments = await listDepartments(admin);
      const positions = Object.fromEntries(input.options.map((id, i) => [id, String(i + 1)]));
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () =>
          GreetingMenuForm({
            csrfToken,
            menu: {
              ...current,
              instanceName: "",
              enabled: input.enabled,
              greeting: input.greeting,
              maxAttempts: Number(input.maxAttempts) || current.maxAttempts,
              fallbackDepartmentId: input.fallbackDepartmentId || null,
              options: [],
            },
            departments,
            positions,
            errors,
          }),
        );
      const parsed = parseForm(greetingMenuSchema, input);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => saveGreetingMenu(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("departments:flash.menuSaved"));
      return hxRedirect(request, `/departments/menus/${params.id}`);
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .get(
    "/inbox/:id/transfer",
    async ({ admin, csrfToken, params }) => {
      await getConversation(admin, params.id);
      return TransferForm({
        conversationId: params.id,
        csrfToken,
        departments: await listDepartments(admin, { activeOnly: true }),
        members: await memberOptions(admin),
      });
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/transfer",
    async ({ admin, csrfToken, params, body, set }) => {
      await getConversation(admin, params.id);
      const fields = formFields(body);
      const values: TransferFormValues = { departmentId: formText(fields.departmentId), userId: formText(fields.userId), reason: formText(fields.reason) };
      const form = async (extra: { errors?: FieldError[]; done?: boolean; values?: TransferFormValues }) =>
        TransferForm({
          conversationId: params.id,
          csrfToken,
          departments: await listDepartments(admin, { activeOnly: true }),
          members: await memberOptions(admin),
          ...extra,
        });
      const parsed = parseForm(transferSchema, values);
      if (!parsed.ok) {
        set.status = 422;
        return form({ errors: parsed.errors, values });
      }
      const moved = await attemptForm(() => transferConversation(admin, params.id, parsed.value));
      if (!moved.ok) {
        set.status = 422;
        return form({ errors: moved.errors, values });
      }
      // The header and the messages (with the new activity line) refresh themselves.
      Object.assign(set.headers, hxTrigger({ "inbox:refresh": { conversationId: params.id } }));
      return form({ done: true });
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
