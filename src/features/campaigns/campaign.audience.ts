import type { DbOrTx } from "@/db/client";
import type { Caller } from "@/lib/caller";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { getImport, importedContacts, importRejects, runImportNow, uploadImport, type ContactImport } from "@/features/contacts/contact-import.service";

/**
 * CSV audiences go through the contacts import (contacts/contact-import.service.ts): the file is stored in
 * chunks and streamed, contacts are written in batches and deduplicated by identity, rejected rows land in
 * the import's report. A campaign's targets are then read back from the import a batch at a time, so an
 * audience of 100 000 rows is never held whole. An inline CSV (the JSON body's `audience.csv`) is imported
 * here and now; a large file is uploaded to `/v1/contact-imports`, imported by the worker, and named by
 * `audience.importId` once done.
 */

export type AudienceRow = { contactId: string; variables: Record<string, string> };

/** An import's failure on the upload (`file`) told on the campaign's field. */
function onField(err: unknown, path: string): unknown {
  if (err instanceof AppError && err.code === "validation_failed") return validationFailed((err.details ?? []).map((d) => ({ ...d, path })));
  return err;
}

/**
 * Imports an inline CSV of phones (header row; a phone/telefone/celular/whatsapp column, named by a
 * nome/name column; every other column is a message variable) and answers the finished import. Any
 * rejected row fails the audience (422 naming the lines and reasons), as before the import carried it.
 */
export async function importInlineCsv(caller: Caller, csv: string): Promise<ContactImport> {
  const bytes = new TextEncoder().encode(csv);
  const uploaded = await uploadImport(caller, {
    name: "campaign-audience.csv",
    size: bytes.byteLength,
    stream: () => new Blob([bytes]).stream(),
  }).catch((err) => {
    throw onField(err, "audience.csv");
  });
  const mapping = Object.fromEntries(Object.entries(uploaded.mapping).filter(([, field]) => field === "phone" || field === "name"));
  if (!Object.values(mapping).includes("phone")) throw validationFailed([{ path: "audience.csv", message: tText("campaigns:errors.csvNoPhone") }]);
  const done = await runImportNow(caller, uploaded.id, mapping);
  if (done.status !== "done")
    throw validationFailed([{ path: "audience.csv", message: tText("campaigns:errors.csvInvalid", { reason: done.error ?? done.status }) }]);
  if (done.rejected > 0) {
    const first = await importRejects(caller, done.id, 10).next();
    const lines = (first.done ? [] : first.value).map((r) => `${r.line} (${r.reason})`).join(", ");
    throw validationFailed([{ path: "audience.csv", message: tText("campaigns:errors.csvRejected", { lines }) }]);
  }
  return done;
}

/** A finished contact import of the caller's organization, or 422 on `audience.importId`. */
export async function finishedImport(caller: Caller, importId: string): Promise<ContactImport> {
  const imp = await getImport(caller, importId).catch((err) => {
    if (err instanceof AppError && err.code === "not_found")
      throw validationFailed([{ path: "audience.importId", message: tText("campaigns:errors.importNotFound") }]);
    throw err;
  });
  if (imp.status !== "done")
    throw validationFailed([
      { path: "audience.importId", message: tText("campaigns:errors.importNotDone", { status: tText(`contacts:book.import.status.${imp.status}`) }) },
    ]);
  return imp;
}

/** The import's contacts as audience rows, a batch at a time, in file order, read in the campaign's transaction. */
export async function* importAudience(caller: Caller, importId: string, tx: DbOrTx): AsyncGenerator<AudienceRow[]> {
  for await (const batch of importedContacts(caller, importId, { tx })) yield batch.map((c) => ({ contactId: c.contactId, variables: c.variables }));
}
