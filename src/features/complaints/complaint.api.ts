import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { complaintDetailSchema, complaintJsonSchema, complaintNoteJsonSchema, complaintPageSchema } from "./complaint.openapi";
import { complaintListQuerySchema, complaintNoteSchema, createComplaintSchema, updateComplaintSchema } from "./complaint.schema";
import { addComplaintNote, complaintJson, complaintNoteJson, createComplaint, getComplaintDetail, listComplaints, updateComplaint } from "./complaint.service";

const idParams = z.object({ id: z.string() });
const tags = ["Complaints"];

/** `/v1/complaints`: the ouvidoria's complaints (scopes contacts:read / contacts:write). */
export const complaintsApi = new Elysia({ name: "complaints-api" })
  .use(authPlugin)
  .get(
    "/v1/complaints",
    async ({ caller, query }) => {
      const page = await listComplaints(caller, query);
      return { data: page.data.map(complaintJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "contacts:read",
      query: complaintListQuerySchema,
      detail: {
        tags,
        summary: "List complaints",
        description:
          "Newest first. Filters: `status`, `type`, `severity`, `assignee` (user id or `none`; `me` only for a signed-in member), `contactId`, `conversationId`, `from`/`to` (days of opening, `YYYY-MM-DD` in the organization's time zone).",
        responses: ok(complaintPageSchema),
      },
    },
  )
  .post(
    "/v1/complaints",
    async ({ caller, body, set }) => {
      set.status = 201;
      return complaintJson(await createComplaint(caller, body));
    },
    {
      apiKey: "contacts:write",
      body: createComplaintSchema,
      detail: {
        tags,
        summary: "Open a complaint",
        description: "For the contact of `conversationId`, or a contact by `contactId` or `phone` (422 when none matches).",
        responses: ok(complaintJsonSchema, 201),
      },
    },
  )
  .get(
    "/v1/complaints/:id",
    async ({ caller, params }) => {
      const detail = await getComplaintDetail(caller, params.id);
      return { ...complaintJson(detail), notes: detail.notes.map(complaintNoteJson) };
    },
    { apiKey: "contacts:read", params: idParams, detail: { tags, summary: "Get a complaint with its notes", responses: ok(complaintDetailSchema) } },
  )
  .patch("/v1/complaints/:id", async ({ caller, params, body }) => complaintJson(await updateComplaint(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: idParams,
    body: updateComplaintSchema,
    detail: {
      tags,
      summary: "Change a complaint (status, assignee, resolution…)",
      description: "Resolving or closing needs a `resolution` (sent now or recorded before): 422 otherwise. Reopening clears `resolvedAt`.",
      responses: ok(complaintJsonSchema),
    },
  })
  .post(
    "/v1/complaints/:id/notes",
    async ({ caller, params, body, set }) => {
      const note = await addComplaintNote(caller, params.id, body.body);
      set.status = 201;
      return complaintNoteJson({ ...note, authorName: null });
    },
    {
      apiKey: "contacts:write",
      params: idParams,
      body: complaintNoteSchema,
      detail: { tags, summary: "Add a note to a complaint (notes are never edited)", responses: ok(complaintNoteJsonSchema, 201) },
    },
  );
