import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, zodDetails, type FieldError } from "@/lib/errors";
import { attemptForm, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { getConversation } from "@/features/conversations/conversation.service";
import { ConversationLabelsBox } from "@views/inbox/_labels";
import { LabelForm, LabelsIndex } from "@views/labels/index";
import { conversationLabelFormSchema, createLabelSchema } from "./label.schema";
import { changeConversationLabel, createLabel, deleteLabel, getLabel, labelJson, listLabels, updateLabel } from "./label.service";

const idParams = z.object({ id: z.string() });

/** The labels' admin page (supervisors and above write, agents read) and the inbox's label box. */
export const labelsPages = new Elysia({ name: "labels-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/labels",
    async ({ admin, csrfToken, cookie }) =>
      LabelsIndex({ admin, csrfToken, flash: takeFlash(cookie), labels: (await listLabels(admin)).map(labelJson), canManage: can.manageLabels(admin.role) }),
    { member: "agent" },
  )
  .post(
    "/labels",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values = { name: formText(fields.name), color: formText(fields.color) };
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => LabelForm({ id: "label-form-new", action: "/labels", values, errors, submitLabel: tText("labels:form.create") }));
      const parsed = parseForm(createLabelSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createLabel(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("labels:flash.created"));
      return hxRedirect(request, "/labels");
    },
    { member: "agent" },
  )
  .post(
    "/labels/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      await getLabel(admin, params.id);
      const fields = formFields(body);
      const values = { name: formText(fields.name), color: formText(fields.color) };
      const id = `label-form-${params.id}`;
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => LabelForm({ id, action: `/labels/${params.id}`, values, errors, submitLabel: tText("common:actions.save") }));
      const parsed = parseForm(createLabelSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateLabel(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("labels:flash.saved"));
      return hxRedirect(request, "/labels");
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/labels/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteLabel(admin, params.id);
      setFlash(cookie, "success", tText("labels:flash.deleted"));
      return hxRedirect(request, "/labels");
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/inbox/:id/labels",
    async ({ admin, params }) => {
      const row = await getConversation(admin, params.id);
      return ConversationLabelsBox({ conversationId: row.conversation.id, labels: row.labels, all: (await listLabels(admin)).map(labelJson) });
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/labels",
    async ({ admin, params, body }) => {
      const parsed = conversationLabelFormSchema.safeParse(formFields(body));
      if (!parsed.success) throw new AppError("validation_failed", tText("labels:errors.choose"), zodDetails(parsed.error.issues));
      await changeConversationLabel(admin, params.id, parsed.data.labelId, parsed.data.change);
      const row = await getConversation(admin, params.id);
      return ConversationLabelsBox({ conversationId: row.conversation.id, labels: row.labels, all: (await listLabels(admin)).map(labelJson) });
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
