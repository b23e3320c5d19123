import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { roleAtLeast } from "@/auth/roles";
import { listFieldDefinitions } from "@/features/contacts/contact-field.service";
import type { FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, formText, parseForm } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { tText } from "@/lib/i18n";
import { hxRedirect } from "@/lib/htmx";
import { SegmentPreview, SegmentsPage, segmentFormValues, type SegmentFormValues } from "@views/segments/index";
import { segmentCreateSchema, segmentFilterSchema } from "./segment.schema";
import { countAudience, createSegment, deleteSegment, getSegment, listSegments, previewFilter, updateSegment, type Segment } from "./segment.service";

const idParams = z.object({ id: z.string().max(64) });
const canManage = (admin: AdminContext) => roleAtLeast(admin.role, "supervisor");

/** The posted form as typed (for a re-render) and as the schema reads it. */
function formOf(body: unknown): { values: SegmentFormValues; input: { name: string; filter: Record<string, unknown> } } {
  const f = formFields(body);
  const custom = Object.fromEntries(
    Object.entries(f).flatMap(([k, v]) => (k.startsWith("custom.") && formText(v).trim() ? [[k.slice(7), formText(v).trim()]] : [])),
  );
  const values: SegmentFormValues = {
    name: formText(f.name),
    tags: formText(f.tags),
    city: formText(f.city),
    state: formText(f.state),
    lastInteractionAfter: formText(f.lastInteractionAfter),
    lastInteractionBefore: formText(f.lastInteractionBefore),
    includeOptedOut: checkbox(f.includeOptedOut),
    custom,
  };
  return {
    values,
    input: {
      name: values.name,
      filter: {
        tags: values.tags,
        city: values.city,
        state: values.state,
        custom,
        lastInteractionAfter: values.lastInteractionAfter,
        lastInteractionBefore: values.lastInteractionBefore,
        excludeOptedOut: !values.includeOptedOut,
      },
    },
  };
}

async function render(
  admin: AdminContext,
  csrfToken: string,
  opts: { editing?: Segment; form?: { values: SegmentFormValues; errors?: FieldError[] }; flash?: ReturnType<typeof takeFlash> } = {},
) {
  const orgId = admin.organization.id;
  const rows = await listSegments(admin);
  const segments = await Promise.all(rows.map(async (segment) => ({ segment, count: await countAudience(orgId, segment.filter) })));
  const form = opts.form ?? { values: segmentFormValues(opts.editing) };
  const parsedFilter = segmentFilterSchema.safeParse(formOf({ ...form.values, includeOptedOut: form.values.includeOptedOut ? "on" : "" }).input.filter);
  const preview = parsedFilter.success ? await previewFilter(admin, parsedFilter.data) : { count: 0, preview: [] };
  return (
    <SegmentsPage
      admin={admin}
      csrfToken={csrfToken}
      flash={opts.flash}
      segments={segments}
      editing={opts.editing}
      form={form}
      definitions={await listFieldDefinitions(admin)}
      preview={preview}
      canManage={canManage(admin)}
    />
  );
}

/** Admin pages: the segment list with counts, the form with a live count and preview, delete. */
export const segmentPages = new Elysia({ name: "segment-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get("/segments", async ({ admin, csrfToken, cookie }) => render(admin, csrfToken, { flash: takeFlash(cookie) }), { member: "agent", detail: { hide: true } })
  .post(
    "/segments/preview",
    async ({ admin, body, set }) => {
      const parsed = segmentFilterSchema.safeParse(formOf(body).input.filter);
      if (!parsed.success) {
        set.status = 422;
        return <SegmentPreview count={0} preview={[]} />;
      }
      const { count, preview } = await previewFilter(admin, parsed.data);
      return <SegmentPreview count={count} preview={preview} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/segments",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const { values, input } = formOf(body);
      const parsed = parseForm(segmentCreateSchema, input);
      const result = parsed.ok ? await attemptForm(() => createSegment(admin, parsed.value), { codes: ["conflict"], path: "name" }) : parsed;
      if (!result.ok) {
        set.status = 422;
        return render(admin, csrfToken, { form: { values, errors: result.errors } });
      }
      setFlash(cookie, "success", tText("segments:flash.created"));
      return hxRedirect(request, `/segments/${result.value.id}`);
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/segments/:id",
    async ({ admin, csrfToken, params, cookie }) => render(admin, csrfToken, { editing: await getSegment(admin, params.id), flash: takeFlash(cookie) }),
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/segments/:id",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const editing = await getSegment(admin, params.id);
      const { values, input } = formOf(body);
      const parsed = parseForm(segmentCreateSchema, input);
      const result = parsed.ok ? await attemptForm(() => updateSegment(admin, editing.id, parsed.value), { codes: ["conflict"], path: "name" }) : parsed;
      if (!result.ok) {
        set.status = 422;
        return render(admin, csrfToken, { editing, form: { values, errors: result.errors } });
      }
      setFlash(cookie, "success", tText("segments:flash.saved"));
      return hxRedirect(request, `/segments/${editing.id}`);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/segments/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteSegment(admin, params.id);
      setFlash(cookie, "success", tText("segments:flash.deleted"));
      return hxRedirect(request, "/segments");
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
