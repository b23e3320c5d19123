import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { contactJson } from "@/features/contacts/contact.service";
import { exportContactsCsv } from "@/features/contacts/contact-export";
import { csvResponse } from "@/features/contacts/contact.openapi";
import { segmentJsonSchema, segmentListSchema, segmentPreviewSchema } from "./segment.openapi";
import { segmentCreateSchema, segmentFilterSchema, segmentUpdateSchema } from "./segment.schema";
import { countAudience, createSegment, deleteSegment, getSegment, listSegments, previewFilter, segmentJson, updateSegment } from "./segment.service";

const idParams = z.object({ id: z.string().max(64) });
const tags = ["Segments"];

/** `/v1/segments`: saved contact filters (campaign audiences) with their live counts. */
export const segmentApi = new Elysia({ name: "segment-api" })
  .use(authPlugin)
  .get(
    "/v1/segments",
    async ({ caller }) => {
      const orgId = organizationOf(caller);
      const rows = await listSegments(caller);
      return { data: await Promise.all(rows.map(async (s) => segmentJson(s, await countAudience(orgId, s.filter)))) };
    },
    { apiKey: "contacts:read", detail: { tags, summary: "List segments with their current counts", responses: ok(segmentListSchema) } },
  )
  .post(
    "/v1/segments",
    async ({ caller, body, set }) => {
      const row = await createSegment(caller, body);
      set.status = 201;
      return segmentJson(row, await countAudience(row.organizationId, row.filter));
    },
    {
      apiKey: "contacts:write",
      body: segmentCreateSchema,
      detail: {
        tags,
        summary: "Create a segment",
        description:
          "`filter`: `tags` (all), `city` (case-insensitive), `state` (UF), `custom` (key → value), `lastInteractionAfter` / `lastInteractionBefore` (ISO), `excludeOptedOut` (default true: opted-out and blocked contacts are left out). 409 when the name exists.",
        responses: ok(segmentJsonSchema, 201),
      },
    },
  )
  .post(
    "/v1/segments/preview",
    async ({ caller, body }) => {
      const { count, preview } = await previewFilter(caller, body);
      return { count, preview: preview.map(contactJson) };
    },
    {
      apiKey: "contacts:read",
      body: segmentFilterSchema,
      detail: { tags, summary: "Count and preview the contacts a filter selects (unsaved)", responses: ok(segmentPreviewSchema) },
    },
  )
  .get(
    "/v1/segments/:id",
    async ({ caller, params }) => {
      const row = await getSegment(caller, params.id);
      return segmentJson(row, await countAudience(row.organizationId, row.filter));
    },
    { apiKey: "contacts:read", params: idParams, detail: { tags, summary: "A segment with its current count", responses: ok(segmentJsonSchema) } },
  )
  .patch(
    "/v1/segments/:id",
    async ({ caller, params, body }) => {
      const row = await updateSegment(caller, params.id, body);
      return segmentJson(row, await countAudience(row.organizationId, row.filter));
    },
    {
      apiKey: "contacts:write",
      params: idParams,
      body: segmentUpdateSchema,
      detail: { tags, summary: "Rename a segment or change its filter", responses: ok(segmentJsonSchema) },
    },
  )
  .delete(
    "/v1/segments/:id",
    async ({ caller, params, set }) => {
      await deleteSegment(caller, params.id);
      set.status = 204;
    },
    { apiKey: "contacts:write", params: idParams, detail: { tags, summary: "Delete a segment", responses: noContent() } },
  )
  .get(
    "/v1/segments/:id/export",
    async ({ caller, params }) => {
      const row = await getSegment(caller, params.id);
      return new Response(await exportContactsCsv(caller, row.filter, `segment:${row.name}`), {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="segment.csv"' },
      });
    },
    {
      apiKey: "contacts:read",
      params: idParams,
      detail: { tags, summary: "Export a segment's contacts as CSV (same columns as /v1/contact-export)", responses: csvResponse },
    },
  );
