import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { getConversation, listAssignableMembers } from "@/features/conversations/conversation.service";
import type { FieldError } from "@/lib/errors";
import { attemptForm, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import {
  ComplaintNewPage,
  ComplaintNotes,
  ComplaintShow,
  ComplaintsIndex,
  ComplaintForm,
  ComplaintUpdateForm,
  type ComplaintFilters,
} from "@views/complaints/index";
import { complaintListQuerySchema, complaintNoteSchema, createComplaintSchema, updateComplaintSchema } from "./complaint.schema";
import {
  addComplaintNote,
  complaintJson,
  complaintNoteJson,
  createComplaint,
  getComplaint,
  getComplaintDetail,
  listComplaints,
  updateComplaint,
} from "./complaint.service";

const idParams = z.object({ id: z.string() });

/** Filters from the URL; a bad value is dropped instead of failing the page. */
function filtersOf(query: Record<string, unknown>): ComplaintFilters & { cursor?: string } {
  const out: ComplaintFilters & { cursor?: string } = {};
  for (const key of ["status", "type", "severity", "assignee", "from", "to", "cursor"] as const) {
    const parsed = complaintListQuerySchema.shape[key].safeParse(query[key]);
    if (parsed.success && parsed.data !== undefined) out[key] = String(parsed.data);
  }
  return out;
}

const membersOf = (admin: AdminContext) => listAssignableMembers(admin.organization.id);

/** The ouvidoria's pages: the complaint list with filters, opening one (from a conversation or by hand), the detail with status, assignee, resolution and notes. */
export const complaintsPages = new Elysia({ name: "complaints-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/complaints",
    async ({ admin, csrfToken, cookie, query }) => {
      const filters = filtersOf(query);
      const { cursor, ...shown } = filters;
      const [page, members] = await Promise.all([listComplaints(admin, complaintListQuerySchema.parse(filters)), membersOf(admin)]);
      return ComplaintsIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        complaints: page.data.map(complaintJson),
        filters: cursor ? { ...shown } : shown,
        members,
        nextCursor: page.nextCursor,
      });
    },
    { member: "agent" },
  )
  .get(
    "/complaints/new",
    async ({ admin, csrfToken, query }) => {
      const conversationId = typeof query.conversationId === "string" ? query.conversationId : undefined;
      // From a conversation: it must be one the member sees (404 otherwise).
      const row = conversationId ? await getConversation(admin, conversationId) : null;
      return ComplaintNewPage({
        admin,
        csrfToken,
        values: row ? { conversationId: row.conversation.id } : {},
        members: await membersOf(admin),
        contactLabel: row ? (row.contact.name ?? row.contact.phone ?? undefined) : undefined,
      });
    },
    { member: "agent" },
  )
  .post(
    "/complaints",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values = {
        conversationId: formText(fields.conversationId),
        phone: formText(fields.phone),
        type: formText(fields.type),
        severity: formText(fields.severity),
        subject: formText(fields.subject),
        description: formText(fields.description),
        assignedUserId: formText(fields.assignedUserId),
      };
      const members = await membersOf(admin);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => ComplaintForm({ values, errors, members }));
      const parsed = parseForm(createComplaintSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createComplaint(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("complaints:flash.created"));
      return hxRedirect(request, `/complaints/${created.value.id}`);
    },
    { member: "agent" },
  )
  .get(
    "/complaints/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const detail = await getComplaintDetail(admin, params.id);
      return ComplaintShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        complaint: complaintJson(detail),
        notes: detail.notes.map(complaintNoteJson),
        members: await membersOf(admin),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/complaints/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      const current = await getComplaint(admin, params.id);
      const fields = formFields(body);
      const values = {
        status: formText(fields.status),
        type: formText(fields.type),
        severity: formText(fields.severity),
        assignedUserId: formText(fields.assignedUserId),
        resolution: formText(fields.resolution),
      };
      const members = await membersOf(admin);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => ComplaintUpdateForm({ complaint: complaintJson(current), members, errors, values }));
      const parsed = parseForm(updateComplaintSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateComplaint(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("complaints:flash.saved"));
      return hxRedirect(request, `/complaints/${params.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/complaints/:id/notes",
    async ({ admin, params, body, set }) => {
      const parsed = parseForm(complaintNoteSchema, { body: formText(formFields(body).body) });
      if (parsed.ok) await addComplaintNote(admin, params.id, parsed.value.body);
      const detail = await getComplaintDetail(admin, params.id);
      const notes = detail.notes.map(complaintNoteJson);
      if (!parsed.ok) return unprocessable(set, () => ComplaintNotes({ complaintId: detail.id, notes, errors: parsed.errors }));
      return ComplaintNotes({ complaintId: detail.id, notes });
    },
    { member: "agent", params: idParams },
  );
