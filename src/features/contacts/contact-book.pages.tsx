import { Elysia } from "elysia";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { attemptForm, formFields, formText, parseForm } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { tText } from "@/lib/i18n";
import { hxRedirect } from "@/lib/htmx";
import { sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { currentLocale, currentTimeZone, withLocale } from "@/lib/i18n";
import { FieldsPage, ImportPage, ImportProgress } from "@views/contacts/book";
import { fieldDefinitionCreateSchema } from "./contact-field.schema";
import { assertManagesContactBook, createFieldDefinition, deleteFieldDefinition, listFieldDefinitions } from "./contact-field.service";
import { exportContactsCsv } from "./contact-export";
import { getImport, importRejects, listImports, startImport, uploadImport } from "./contact-import.service";
import type { ContactFilter } from "@/db/schema";
import type { Caller } from "@/lib/caller";
import { port } from "@/lib/port";

const idParams = z.object({ id: z.string().max(64) });

/** A segment's name and filter (the export of one segment); segments sit above contacts, so routes.ts plugs it in. */
export const segmentForExport = port<(caller: Caller, id: string) => Promise<{ name: string; filter: ContactFilter }>>("contacts.segmentForExport");
/** The organization's segments for the export picker (plugged by routes.ts). */
export const segmentOptions = port<(caller: Caller) => Promise<{ id: string; name: string }[]>>("contacts.segmentOptions");

/** Admin pages of the contact book: custom fields, CSV import with mapping and live progress, CSV export. Supervisors and above. */
export const contactBookPages = new Elysia({ name: "contact-book-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/contacts/fields",
    async ({ admin, csrfToken, cookie }) => {
      assertManagesContactBook(admin);
      return <FieldsPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} definitions={await listFieldDefinitions(admin)} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/contacts/fields",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      assertManagesContactBook(admin);
      const fields = formFields(body);
      const values = { key: formText(fields.key), label: formText(fields.label), type: formText(fields.type) };
      const parsed = parseForm(fieldDefinitionCreateSchema, values);
      const result = parsed.ok ? await attemptForm(() => createFieldDefinition(admin, parsed.value), { codes: ["conflict"], path: "key" }) : parsed;
      if (!result.ok) {
        set.status = 422;
        return <FieldsPage admin={admin} csrfToken={csrfToken} definitions={await listFieldDefinitions(admin)} values={values} errors={result.errors} />;
      }
      setFlash(cookie, "success", tText("contacts:book.customFields.created"));
      return hxRedirect(request, "/contacts/fields");
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/contacts/fields/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteFieldDefinition(admin, params.id);
      setFlash(cookie, "success", tText("contacts:book.customFields.deleted"));
      return hxRedirect(request, "/contacts/fields");
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .get(
    "/contacts/import",
    async ({ admin, csrfToken, cookie }) => {
      assertManagesContactBook(admin);
      return renderImport(admin, csrfToken, undefined, takeFlash(cookie));
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/contacts/import",
    async ({ admin, csrfToken, body, request, set }) => {
      assertManagesContactBook(admin);
      const file = (body as Record<string, unknown> | null)?.file;
      const result = await attemptForm(() => {
        if (!(file instanceof Blob)) throw new (class extends Error {})();
        return uploadImport(admin, { name: (file as File).name ?? "contacts.csv", size: file.size, stream: () => file.stream() });
      }).catch(() => ({ ok: false as const, errors: [{ path: "file", message: tText("contacts:errors.importNotCsv") }] }));
      if (!result.ok) {
        set.status = 422;
        return renderImport(admin, csrfToken, undefined, undefined, result.errors);
      }
      return hxRedirect(request, `/contacts/import/${result.value.id}`);
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/contacts/import/:id",
    async ({ admin, csrfToken, params, cookie }) => {
      assertManagesContactBook(admin);
      return renderImport(admin, csrfToken, params.id, takeFlash(cookie));
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/contacts/import/:id/start",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const fields = formFields(body);
      const mapping = Object.fromEntries(
        Object.entries(fields).flatMap(([k, v]) => (k.startsWith("mapping.") && formText(v) ? [[k.slice("mapping.".length), formText(v)]] : [])),
      );
      const result = await attemptForm(() => startImport(admin, params.id, mapping), { codes: ["conflict"], path: "mapping" });
      if (!result.ok) {
        set.status = 422;
        return renderImport(admin, csrfToken, params.id, undefined, result.errors);
      }
      setFlash(cookie, "success", tText("contacts:book.import.started"));
      return hxRedirect(request, `/contacts/import/${params.id}`);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .get(
    "/contacts/import/:id/stream",
    async ({ admin, params, request }) => {
      assertManagesContactBook(admin);
      const imp = await getImport(admin, params.id);
      const reader = { locale: currentLocale(), timeZone: currentTimeZone() };
      const progress = async (shown: Parameters<typeof ImportProgress>[0]["imp"]) => ({
        event: "progress",
        data: String(await withLocale(reader, () => <ImportProgress imp={shown} />)),
      });
      return sseResponse(
        request,
        liveTopics.contactImport(imp.id),
        (data) =>
          progress({
            id: imp.id,
            status: data.status as typeof imp.status,
            rowsRead: Number(data.rowsRead ?? 0),
            created: Number(data.created ?? 0),
            updated: Number(data.updated ?? 0),
            rejected: Number(data.rejected ?? 0),
            error: null,
          }),
        // An import that moved (or finished) before the page listened: its card as it is now.
        async () => progress(await getImport(admin, imp.id)),
      );
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .get(
    "/contacts/import/:id/rejects.csv",
    async ({ admin, params }) => {
      assertManagesContactBook(admin);
      const pages = importRejects(admin, params.id);
      let first = await pages.next();
      const header = [
        tText("contacts:book.import.rejectHeader.line"),
        tText("contacts:book.import.rejectHeader.reason"),
        tText("contacts:book.import.rejectHeader.content"),
      ];
      let out = `\uFEFF${stringify([header])}`;
      // The page report is the same as the API's; bounded by the import's rejects, written page by page.
      while (!first.done) {
        out += stringify(first.value.map((r) => [r.line, r.reason, r.raw]));
        first = await pages.next();
      }
      return new Response(out, {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="rejects-${params.id}.csv"` },
      });
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .get(
    "/contacts/export.csv",
    async ({ admin, query }) => {
      const segmentId = typeof query.segmentId === "string" && query.segmentId ? query.segmentId : null;
      const segment = segmentId ? await segmentForExport(admin, segmentId) : null;
      const stream = await exportContactsCsv(admin, segment ? segment.filter : { excludeOptedOut: false }, segment ? `segment:${segment.name}` : "contacts");
      return new Response(stream, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="contacts.csv"' } });
    },
    { member: "agent", detail: { hide: true } },
  );

async function renderImport(
  admin: AdminContext,
  csrfToken: string,
  id: string | undefined,
  flash?: ReturnType<typeof takeFlash>,
  errors?: { path: string; message: string }[],
) {
  const [imports, definitions, current, segments] = await Promise.all([
    listImports(admin),
    listFieldDefinitions(admin),
    id ? getImport(admin, id) : Promise.resolve(undefined),
    segmentOptions(admin),
  ]);
  return (
    <ImportPage
      admin={admin}
      csrfToken={csrfToken}
      flash={flash}
      imports={imports}
      current={current}
      definitions={definitions}
      segments={segments}
      errors={errors}
    />
  );
}
