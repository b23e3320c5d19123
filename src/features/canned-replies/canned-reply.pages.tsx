import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import type { FieldError } from "@/lib/errors";
import { attemptForm, formFields, formText, parseForm, unprocessable, type FormBody } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { CannedRepliesIndex, CannedReplyForm, CannedReplyShow, CannedReplySuggestions, type CannedReplyFormValues } from "@views/canned-replies/index";
import { cannedReplyQuerySchema, createCannedReplySchema } from "./canned-reply.schema";
import {
  cannedReplyJson,
  createCannedReply,
  deleteCannedReply,
  departmentChoices,
  getCannedReply,
  listCannedReplies,
  renderCannedReply,
  suggestCannedReplies,
  updateCannedReply,
  type CannedReply,
} from "./canned-reply.service";

const idParams = z.object({ id: z.string() });
const insertParams = z.object({ id: z.string(), replyId: z.string() });

function formValues(body: FormBody): CannedReplyFormValues {
  return {
    shortcut: formText(body.shortcut),
    title: formText(body.title),
    body: formText(body.body),
    departmentId: formText(body.departmentId),
    mediaId: formText(body.mediaId),
  };
}

function valuesOf(r: CannedReply): CannedReplyFormValues {
  return { shortcut: r.shortcut, title: r.title, body: r.body, departmentId: r.departmentId ?? "", mediaId: r.mediaId ?? "" };
}

/** The canned replies' admin pages (supervisors and above write, agents read) and the inbox reply box's `/shortcut` endpoints. */
export const cannedRepliesPages = new Elysia({ name: "canned-replies-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/canned-replies",
    async ({ admin, csrfToken, cookie }) =>
      CannedRepliesIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        replies: (await listCannedReplies(admin)).map(cannedReplyJson),
        departments: await departmentChoices(admin),
        canManage: can.manageCannedReplies(admin.role),
      }),
    { member: "agent" },
  )
  .post(
    "/canned-replies",
    async ({ admin, body, request, set, cookie }) => {
      const values = formValues(formFields(body));
      const departments = await departmentChoices(admin);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => CannedReplyForm({ action: "/canned-replies", values, departments, errors, submitLabel: tText("canned-replies:form.create") }));
      const parsed = parseForm(createCannedReplySchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createCannedReply(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("canned-replies:flash.created"));
      return hxRedirect(request, "/canned-replies");
    },
    { member: "agent" },
  )
  .get(
    "/canned-replies/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const reply = await getCannedReply(admin, params.id);
      return CannedReplyShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        reply: cannedReplyJson(reply),
        values: valuesOf(reply),
        departments: await departmentChoices(admin),
        canManage: can.manageCannedReplies(admin.role),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/canned-replies/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      await getCannedReply(admin, params.id);
      const values = formValues(formFields(body));
      const action = `/canned-replies/${params.id}`;
      const departments = await departmentChoices(admin);
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => CannedReplyForm({ action, values, departments, errors, submitLabel: tText("common:actions.save") }));
      const parsed = parseForm(createCannedReplySchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateCannedReply(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("canned-replies:flash.saved"));
      return hxRedirect(request, action);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/canned-replies/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteCannedReply(admin, params.id);
      setFlash(cookie, "success", tText("canned-replies:flash.deleted"));
      return hxRedirect(request, "/canned-replies");
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/inbox/:id/canned-replies",
    async ({ admin, params, query }) =>
      CannedReplySuggestions({ conversationId: params.id, replies: (await suggestCannedReplies(admin, params.id, query.q ?? "")).map(cannedReplyJson) }),
    { member: "agent", params: idParams, query: cannedReplyQuerySchema, detail: { hide: true } },
  )
  .get(
    "/inbox/:id/canned-replies/:replyId",
    async ({ admin, params }) => {
      const { reply, text, media } = await renderCannedReply(admin, params.id, params.replyId, admin.user);
      return { id: reply.id, shortcut: reply.shortcut, text, media };
    },
    { member: "agent", params: insertParams, detail: { hide: true } },
  );
