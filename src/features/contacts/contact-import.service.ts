import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import { and, asc, desc, eq, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { db, notify, rowsOf, type DbOrTx } from "@/db/client";
import { contactImportChunks, contactImportRejects, contactImports, contacts, type ContactImportStatus } from "@/db/schema";
import { auditChange } from "@/features/audit/audit.service";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { log } from "@/lib/logger";
import { CONTACT_IMPORT_MAX_BYTES } from "@/lib/media-url";
import { parsePhone } from "@/lib/phone";
import { organizationOf } from "@/lib/tenant";
import type { Caller } from "@/lib/caller";
import { claimDue, releaseLeases, runJobsOnce, type JobKind, type JobQueue } from "@/workers/jobs";
import { applyCustomFields, parseDocument, UFS, type CustomValue } from "./contact-fields";
import { assertManagesContactBook, listFieldDefinitions, type FieldDefinition } from "./contact-field.service";
import { CONTACT_LIMITS, tagsSchema } from "./contact.schema";
import { collectIfGrown, heapMark, type HeapMark } from "@/lib/heap";

/**
 * CSV import of contacts, in three steps: upload (the file is stored in ~1 MiB chunks and its first
 * rows kept for the preview), mapping (which column is which contact field), and a background job
 * that streams the chunks through csv-parse and writes contacts in batches. Memory is bounded by one
 * chunk plus one batch whatever the file's size. Each batch commits its contacts, its rejected lines
 * and the progress checkpoint (`rows_read`) in one transaction under the job's lease, so an import
 * that crashes resumes after its last committed batch with nothing written twice.
 */

export type ContactImport = typeof contactImports.$inferSelect;

export const IMPORT_LIMITS = { maxBytes: CONTACT_IMPORT_MAX_BYTES, chunkBytes: 1024 * 1024, previewRows: 5, batchRows: 1000, maxColumns: 100 } as const;

export const IMPORT_FIELDS = ["phone", "name", "document", "email", "address", "city", "state", "zipCode", "notes", "tags"] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number] | `custom:${string}`;

export const IMPORT_DUE_CHANNEL = "livchat_contact_imports";

export function importJson(i: ContactImport) {
  return {
    id: i.id,
    filename: i.filename,
    sizeBytes: i.sizeBytes,
    status: i.status,
    headers: i.headers,
    preview: i.preview,
    mapping: i.mapping,
    rowsRead: i.rowsRead,
    created: i.created,
    updated: i.updated,
    rejected: i.rejected,
    error: i.error,
    startedAt: i.startedAt,
    finishedAt: i.finishedAt,
    createdAt: i.createdAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Upload and mapping
// ---------------------------------------------------------------------------------------------

/** `;` when the header line has more semicolons than commas (spreadsheets in Brazil save CSV that way). */
function sniffDelimiter(firstLine: string): string {
  const count = (c: string) => firstLine.split(c).length - 1;
  if (count(";") > count(",")) return ";";
  if (count("\t") > count(",")) return "\t";
  return ",";
}

const strip = (s: string) =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");

const HEADER_GUESSES: Record<string, (typeof IMPORT_FIELDS)[number]> = {
  phone: "phone",
  telefone: "phone",
  celular: "phone",
  whatsapp: "phone",
  fone: "phone",
  numero: "phone",
  name: "name",
  nome: "name",
  nomecompleto: "name",
  document: "document",
  documento: "document",
  cpf: "document",
  cnpj: "document",
  cpfcnpj: "document",
  email: "email",
  address: "address",
  endereco: "address",
  city: "city",
  cidade: "city",
  municipio: "city",
  state: "state",
  estado: "state",
  uf: "state",
  zipcode: "zipCode",
  cep: "zipCode",
  zip: "zipCode",
  notes: "notes",
  observacoes: "notes",
  obs: "notes",
  tags: "tags",
  etiquetas: "tags",
};

/** A first mapping from the header names (`Telefone` → phone, `UF` → state, a custom field's key or label). */
export function guessMapping(headers: readonly string[], definitions: readonly Pick<FieldDefinition, "key" | "label">[]): Record<string, ImportField> {
  const mapping: Record<string, ImportField> = {};
  const taken = new Set<string>();
  headers.forEach((header, index) => {
    const h = strip(header);
    const custom = definitions.find((d) => strip(d.key) === h || strip(d.label) === h || `custom${strip(d.key)}` === h);
    const field: ImportField | undefined = custom ? `custom:${custom.key}` : HEADER_GUESSES[h];
    if (field && !taken.has(field)) {
      mapping[String(index)] = field;
      taken.add(field);
    }
  });
  return mapping;
}

/**
 * Stores an uploaded CSV: its bytes in chunks (never the whole file in memory), its header and first
 * rows for the preview, and a guessed mapping. The import waits in `uploaded` until it is started.
 */
export async function uploadImport(caller: Caller, file: { name: string; stream: () => ReadableStream<Uint8Array>; size: number }): Promise<ContactImport> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  if (file.size > IMPORT_LIMITS.maxBytes)
    throw validationFailed([{ path: "file", message: tText("contacts:errors.importTooLarge", { count: IMPORT_LIMITS.maxBytes / 1024 / 1024 }) }]);
  if (file.size === 0) throw validationFailed([{ path: "file", message: tText("contacts:errors.importEmpty") }]);
  const definitions = await listFieldDefinitions(caller);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(contactImports)
      .values({
        organizationId: orgId,
        createdByUserId: caller.type === "user" ? caller.id : null,
        filename: file.name.slice(0, 200) || "contacts.csv",
        headers: [],
      })
      .returning();
    const importId = row!.id;
    let seq = 0;
    let size = 0;
    const heap = heapMark();
    let head = new Uint8Array(0);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    // Chunks of exactly chunkBytes (the last one shorter), cut from the stream's pieces without copying more
    // than one chunk at a time: a stream may hand over the whole file as one piece.
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      // As base64 text decoded by Postgres: the driver would copy the bytes and send them as a hex string twice their size.
      await tx.execute(
        sql`insert into contact_import_chunks (import_id, seq, data) values (${importId}, ${seq++}, decode(${data.toString("base64")}, 'base64'))`,
      );
    };
    for await (const piece of file.stream() as unknown as AsyncIterable<Uint8Array>) {
      size += piece.byteLength;
      if (size > IMPORT_LIMITS.maxBytes)
        throw validationFailed([{ path: "file", message: tText("contacts:errors.importTooLarge", { count: IMPORT_LIMITS.maxBytes / 1024 / 1024 }) }]);
      if (head.byteLength < 64 * 1024) head = Buffer.concat([head, piece.subarray(0, 64 * 1024 - head.byteLength)]);
      for (let offset = 0; offset < piece.byteLength; ) {
        const part = piece.subarray(offset, offset + IMPORT_LIMITS.chunkBytes - pendingBytes);
        pending.push(part);
        pendingBytes += part.byteLength;
        offset += part.byteLength;
        if (pendingBytes === IMPORT_LIMITS.chunkBytes) {
          await flush();
          collectBetweenBatches(heap);
        }
      }
    }
    await flush();
    const { headers, preview, delimiter } = previewOf(Buffer.from(head).toString("utf8"), size <= head.byteLength);
    if (headers.length === 0) throw validationFailed([{ path: "file", message: tText("contacts:errors.importEmpty") }]);
    const [saved] = await tx
      .update(contactImports)
      .set({ headers, preview, delimiter, sizeBytes: size, mapping: guessMapping(headers, definitions) })
      .where(eq(contactImports.id, importId))
      .returning();
    return saved!;
  });
}

/** The header and first rows from the file's first bytes (a cut last line is dropped unless that is the whole file). */
function previewOf(text: string, complete: boolean): { headers: string[]; preview: string[][]; delimiter: string } {
  const body = text.replace(/^\uFEFF/, "");
  let usable = body;
  if (!complete) {
    const lastBreak = body.lastIndexOf("\n");
    usable = lastBreak >= 0 ? body.slice(0, lastBreak) : "";
  }
  const delimiter = sniffDelimiter(usable.split(/\r?\n/, 1)[0] ?? "");
  let records: string[][] = [];
  try {
    records = parseSync(usable, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      to_line: IMPORT_LIMITS.previewRows + 1,
    }) as string[][];
  } catch {
    throw validationFailed([{ path: "file", message: tText("contacts:errors.importNotCsv") }]);
  }
  const headers = (records[0] ?? []).slice(0, IMPORT_LIMITS.maxColumns).map((h, i) => h.trim() || `#${i + 1}`);
  return { headers, preview: records.slice(1, IMPORT_LIMITS.previewRows + 1), delimiter };
}

export async function getImport(caller: Caller, id: string, tx: DbOrTx = db): Promise<ContactImport> {
  const orgId = organizationOf(caller);
  if (!isUuid(id)) throw new AppError("not_found", tText("contacts:errors.importNotFound"));
  const [row] = await tx
    .select()
    .from(contactImports)
    .where(and(eq(contactImports.organizationId, orgId), eq(contactImports.id, id)))
    .limit(1);
  if (!row) throw new AppError("not_found", tText("contacts:errors.importNotFound"));
  return row;
}

export async function listImports(caller: Caller, limit = 20): Promise<ContactImport[]> {
  const orgId = organizationOf(caller);
  return db.select().from(contactImports).where(eq(contactImports.organizationId, orgId)).orderBy(desc(contactImports.createdAt)).limit(limit);
}

/** Checks a mapping (column index → field): the phone is mapped, no field twice, custom fields exist, columns exist. */
export function validateMapping(
  headers: readonly string[],
  mapping: Record<string, string>,
  definitions: readonly Pick<FieldDefinition, "key">[],
): Record<string, ImportField> {
  const errors: { path: string; message: string }[] = [];
  const clean: Record<string, ImportField> = {};
  const seen = new Set<string>();
  const customKeys = new Set(definitions.map((d) => d.key));
  for (const [column, field] of Object.entries(mapping)) {
    if (!field) continue;
    const index = Number(column);
    const known = (IMPORT_FIELDS as readonly string[]).includes(field) || (field.startsWith("custom:") && customKeys.has(field.slice("custom:".length)));
    if (!Number.isInteger(index) || index < 0 || index >= headers.length || !known) {
      errors.push({ path: `mapping.${column}`, message: tText("contacts:schema.mappingUnknown", { field }) });
      continue;
    }
    if (seen.has(field)) {
      errors.push({ path: `mapping.${column}`, message: tText("contacts:schema.mappingDuplicate") });
      continue;
    }
    seen.add(field);
    clean[String(index)] = field as ImportField;
  }
  if (!seen.has("phone")) errors.push({ path: "mapping", message: tText("contacts:schema.mappingPhone") });
  if (errors.length) throw validationFailed(errors);
  return clean;
}

/** Saves the mapping and queues the job; an import runs once (409 when already started). */
export async function startImport(caller: Caller, id: string, mapping: Record<string, string>): Promise<ContactImport> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  const definitions = await listFieldDefinitions(caller);
  const row = await db.transaction(async (tx) => {
    const before = await getImport(caller, id, tx);
    const clean = validateMapping(before.headers, mapping, definitions);
    const [started] = await tx
      .update(contactImports)
      .set({ mapping: clean, status: "queued" })
      .where(and(eq(contactImports.id, before.id), eq(contactImports.status, "uploaded")))
      .returning();
    if (!started) throw new AppError("conflict", tText("contacts:errors.importStarted"));
    await auditChange(tx, orgId, caller, "contact_import.started", { type: "contact_import", id: before.id }, { filename: before.filename, mapping: clean });
    return started;
  });
  await notify(IMPORT_DUE_CHANNEL, row.id).catch(() => {});
  return row;
}

/**
 * Saves the mapping and runs the import here, to its end, instead of queueing it for a worker: a
 * campaign's inline CSV (small: a JSON body) whose targets are needed at once. The lease is taken in the
 * same statement, so workers leave the import alone unless this process dies mid-way (then one resumes it).
 */
export async function runImportNow(caller: Caller, id: string, mapping: Record<string, string>): Promise<ContactImport> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  const definitions = await listFieldDefinitions(caller);
  const job = await db.transaction(async (tx) => {
    const before = await getImport(caller, id, tx);
    const clean = validateMapping(before.headers, mapping, definitions);
    const [started] = await tx
      .update(contactImports)
      .set({ mapping: clean, status: "running", startedAt: new Date(), leaseUntil: sql`date_trunc('milliseconds', now() + interval '60 seconds')` })
      .where(and(eq(contactImports.id, before.id), eq(contactImports.status, "uploaded")))
      .returning();
    if (!started?.leaseUntil) throw new AppError("conflict", tText("contacts:errors.importStarted"));
    await auditChange(tx, orgId, caller, "contact_import.started", { type: "contact_import", id: before.id }, { filename: before.filename, mapping: clean });
    return { id: started.id, lease_until: started.leaseUntil.toISOString() };
  });
  await runImport(job, new AbortController().signal);
  return getImport(caller, id);
}

// ---------------------------------------------------------------------------------------------
// The job
// ---------------------------------------------------------------------------------------------

const LEASE_MS = 60_000;

type ImportJob = { id: string; lease_until: string };

const importQueue: JobQueue = {
  table: "contact_imports",
  lease: "lease_until",
  due: (row) => sql`${row}.status in ('queued', 'running')`,
  order: (row) => [sql`${row}.created_at`],
  set: () => sql`status = 'running', started_at = coalesce(u.started_at, now())`,
  returning: sql`u.id, u.lease_until::text as lease_until`,
};

export function contactImportJobs(): JobKind<ImportJob> {
  return {
    name: "contact-imports",
    claim: (limit) => claimDue<ImportJob>(importQueue, { limit, leaseMs: LEASE_MS }),
    run: (job, signal) => runImport(job, signal),
    release: async (jobs) => {
      await releaseLeases(
        importQueue,
        jobs.map((j) => ({ id: j.id, leaseUntil: new Date(j.lease_until) })),
      );
    },
    idOf: (job) => job.id,
  };
}

/** One pass (tests, the bench): runs every due import to its end. */
export async function processDueImports(limit = 5): Promise<number> {
  return (await runJobsOnce(contactImportJobs(), limit)).jobs.length;
}

/** The import's chunks one at a time, in order: the file as a stream without holding it. */
async function* chunksOf(importId: string, tx: DbOrTx = db): AsyncGenerator<Buffer> {
  let seq = 0;
  for (;;) {
    const [chunk] = await tx
      .select({ data: contactImportChunks.data })
      .from(contactImportChunks)
      .where(and(eq(contactImportChunks.importId, importId), eq(contactImportChunks.seq, seq)))
      .limit(1);
    if (!chunk) return;
    yield Buffer.isBuffer(chunk.data) ? chunk.data : Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
    seq++;
  }
}

/** The file's data rows with their line numbers, streamed from the chunks (the job and importedContacts read it alike). */
function recordsOf(imp: Pick<ContactImport, "id" | "delimiter">, tx: DbOrTx = db): AsyncIterable<{ record: string[]; info: { lines: number } }> {
  // One chunk read ahead at most (Readable.from would buffer 16: a 16 MiB file held whole).
  return Readable.from(chunksOf(imp.id, tx), { highWaterMark: 1 }).pipe(
    parse({
      delimiter: imp.delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
      from_line: 2,
      max_record_size: 64 * 1024,
    }),
  );
}

/** A batch job keeps one batch: a full collection once a few batches of garbage piled up (src/lib/heap.ts). */
const GC_HEADROOM_BYTES = 8 * 1024 * 1024;
const collectBetweenBatches = (mark: HeapMark) => collectIfGrown(mark, GC_HEADROOM_BYTES);

/**
 * A large import changes the organization's contacts faster than autovacuum re-reads their statistics:
 * an organization with (almost) no contacts at the last ANALYZE is estimated at one row, and the batch
 * lookups by phone and by document then walk every contact of the organization instead of probing its
 * (organization_id, phone|document) index, once per listed value: quadratic (bench: a 100 000-row file
 * stalled past 500 s after a million-row seed, against 12 s). So contacts are analyzed after the first
 * batch and whenever the import has doubled what it created since: log2(rows / batch) passes of ~50 ms.
 */
async function refreshStatistics(counters: Counters, statistics: { analyzeAt: number }): Promise<void> {
  if (counters.created < statistics.analyzeAt) return;
  statistics.analyzeAt = counters.created * 2;
  await db.execute(sql`analyze contacts`);
}

/** The lease was lost (another process took the import over): stop without writing. */
class LeaseLost extends Error {}

type Row = { line: number; cells: string[] };
type Counters = { rowsRead: number; created: number; updated: number; rejected: number };

async function runImport(job: ImportJob, signal: AbortSignal): Promise<void> {
  const [imp] = await db.select().from(contactImports).where(eq(contactImports.id, job.id)).limit(1);
  if (!imp || (imp.status !== "running" && imp.status !== "queued")) return;
  const caller: Caller = { type: "system", id: "contact-import", organizationId: imp.organizationId };
  const definitions = await listFieldDefinitions(caller);
  let lease = new Date(job.lease_until);
  const counters: Counters = { rowsRead: imp.rowsRead, created: imp.created, updated: imp.updated, rejected: imp.rejected };
  const skip = imp.rowsRead;
  const heap = heapMark();
  const statistics = { analyzeAt: IMPORT_LIMITS.batchRows };
  try {
    let batch: Row[] = [];
    let seen = 0;
    for await (const { record, info } of recordsOf(imp)) {
      if (signal.aborted) return;
      seen++;
      // Records before the checkpoint were committed by an earlier run of this import.
      if (seen <= skip) continue;
      batch.push({ line: info.lines, cells: record });
      if (batch.length >= IMPORT_LIMITS.batchRows) {
        lease = await writeBatch(imp, definitions, batch, counters, lease, false);
        batch = [];
        collectBetweenBatches(heap);
        await refreshStatistics(counters, statistics);
      }
    }
    await writeBatch(imp, definitions, batch, counters, lease, true);
  } catch (err) {
    if (err instanceof LeaseLost) return;
    log.error("contact import failed", { importId: imp.id, err: String((err as Error)?.message ?? err).slice(0, 300) });
    await db
      .update(contactImports)
      .set({ status: "failed", error: String((err as Error)?.message ?? err).slice(0, 500), leaseUntil: null, finishedAt: new Date() })
      .where(and(eq(contactImports.id, imp.id), eq(contactImports.leaseUntil, lease)));
    await publishLive(liveTopics.contactImport(imp.id), { status: "failed" }).catch(() => {});
  }
}

type Clean = {
  line: number;
  raw: string[];
  phone: string;
  name: string | null;
  document: string | null;
  documentType: "cpf" | "cnpj" | null;
  email: string | null;
  address: string | null;
  city: string | null;
  state: string | null;
  zipCode: string | null;
  notes: string | null;
  tags: string[];
  customFields: Record<string, CustomValue>;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** field → column index, once per mapping object (cleanRow runs for every row of a file). */
const columnIndexes = new WeakMap<Record<string, string>, Map<string, number>>();
function columnsOf(mapping: Record<string, string>): Map<string, number> {
  let columns = columnIndexes.get(mapping);
  if (!columns) {
    columns = new Map(Object.entries(mapping).map(([column, field]) => [field, Number(column)]));
    columnIndexes.set(mapping, columns);
  }
  return columns;
}

/** One CSV row as contact fields, or the reason it is rejected. Empty cells mean "leave as it is". */
export function cleanRow(
  row: Row,
  mapping: Record<string, string>,
  definitions: readonly Pick<FieldDefinition, "key" | "type" | "label">[],
): Clean | { line: number; reason: string } {
  const columns = columnsOf(mapping);
  const cell = (field: string) => {
    const column = columns.get(field);
    return column === undefined ? "" : (row.cells[column] ?? "").trim();
  };
  const reject = (reason: string) => ({ line: row.line, reason });
  const phoneText = cell("phone");
  if (!phoneText) return reject(tText("contacts:book.reasons.phoneMissing"));
  const phone = phoneText.length <= 40 ? importPhone(phoneText) : null;
  if (!phone) return reject(tText("contacts:book.reasons.phoneInvalid"));
  const name = cell("name");
  if (name.length > CONTACT_LIMITS.nameMax) return reject(tText("contacts:book.reasons.nameTooLong"));
  const documentText = cell("document");
  const doc = documentText ? parseDocument(documentText) : null;
  if (documentText && !doc) return reject(tText("contacts:book.reasons.documentInvalid"));
  const email = cell("email").toLowerCase();
  if (email && (email.length > 254 || !EMAIL.test(email))) return reject(tText("contacts:book.reasons.emailInvalid"));
  const state = cell("state").toUpperCase();
  if (state && !(UFS as readonly string[]).includes(state)) return reject(tText("contacts:book.reasons.stateInvalid"));
  const zipText = cell("zipCode");
  const zip = zipText.replace(/\D/g, "");
  if (zipText && (zip.length !== 8 || !/^[\d.\-\s]+$/.test(zipText))) return reject(tText("contacts:book.reasons.zipCodeInvalid"));
  const tooLong = (field: "address" | "city" | "notes", max: number) => (cell(field).length > max ? field : null);
  const long = tooLong("address", 300) ?? tooLong("city", 120) ?? tooLong("notes", 4000);
  if (long) return reject(tText("contacts:book.reasons.fieldTooLong", { field: tText(`contacts:book.fields.${long}`) }));
  const tagsText = cell("tags");
  const tags = tagsText ? tagsSchema.safeParse(tagsText) : null;
  if (tags && !tags.success) return reject(tText("contacts:book.reasons.tagsInvalid"));
  const customInput: Record<string, string> = {};
  for (const f of columns.keys()) if (f.startsWith("custom:")) customInput[f.slice(7)] = cell(f);
  const nonEmpty = Object.fromEntries(Object.entries(customInput).filter(([, v]) => v !== ""));
  const custom = applyCustomFields(definitions, {}, nonEmpty);
  if (custom.errors.length) {
    const key = custom.errors[0]!.path.slice("customFields.".length);
    return reject(tText("contacts:book.reasons.customInvalid", { field: definitions.find((d) => d.key === key)?.label ?? key }));
  }
  return {
    line: row.line,
    raw: row.cells,
    phone,
    name: name || null,
    document: doc?.document ?? null,
    documentType: doc?.documentType ?? null,
    email: email || null,
    address: cell("address") || null,
    city: cell("city") || null,
    state: state || null,
    zipCode: zip || null,
    notes: cell("notes") || null,
    tags: tags?.success ? tags.data : [],
    customFields: custom.values,
  };
}

/**
 * Spreadsheets hold Brazilian numbers in national form: `(81) 98888-1111` or 10–11 bare digits are read
 * as Brazilian first (lib/phone alone reads `81988881111` as a valid Japanese number); anything with a
 * `+` or a country code goes through lib/phone as it is.
 */
function importPhone(text: string): string | null {
  const digits = text.replace(/\D/g, "");
  const national = !text.trim().startsWith("+") && (text.trim().startsWith("(") || digits.length === 10 || digits.length === 11);
  return (national ? parsePhone(`+55${digits}`) : null) ?? parsePhone(text);
}

/** A later row of the same person in one batch fills in what the earlier one left empty or overrides it. */
function mergeInto(a: Clean, b: Clean): Clean {
  const pick = <K extends keyof Clean>(k: K) => (b[k] ?? a[k]) as Clean[K];
  return {
    ...a,
    line: b.line,
    name: pick("name"),
    document: pick("document"),
    documentType: pick("documentType"),
    email: pick("email"),
    address: pick("address"),
    city: pick("city"),
    state: pick("state"),
    zipCode: pick("zipCode"),
    notes: pick("notes"),
    tags: [...new Set([...a.tags, ...b.tags])],
    customFields: { ...a.customFields, ...b.customFields },
  };
}

/**
 * Writes one batch in one transaction: identity by canonical phone first, then by document (the same
 * person under another number is updated, keeping the number WhatsApp knows them by); a document that
 * belongs to a different contact than the phone's is rejected. New contacts are one multi-row insert,
 * updates one `UPDATE … FROM jsonb_to_recordset`. The checkpoint, counters and lease renewal go in the
 * same transaction, fenced by the lease so a process that lost the import cannot write.
 */
async function writeBatch(
  imp: ContactImport,
  definitions: readonly FieldDefinition[],
  rows: Row[],
  counters: Counters,
  lease: Date,
  last: boolean,
): Promise<Date> {
  const orgId = imp.organizationId;
  const rejects: { line: number; reason: string; raw: string }[] = [];
  const byPhone = new Map<string, Clean>();
  const rawOf = new Map(rows.map((r) => [r.line, r.cells]));
  for (const row of rows) {
    const c = cleanRow(row, imp.mapping, definitions);
    if ("reason" in c) {
      rejects.push({ line: c.line, reason: c.reason, raw: csvLine(row.cells) });
      continue;
    }
    const earlier = byPhone.get(c.phone);
    byPhone.set(c.phone, earlier ? mergeInto(earlier, c) : c);
  }
  const duplicatesInBatch = rows.length - rejects.length - byPhone.size;

  return db.transaction(async (tx) => {
    const phones = [...byPhone.keys()];
    const documents = [...new Set([...byPhone.values()].flatMap((c) => (c.document ? [c.document] : [])))];
    const existingByPhone = new Map<string, { id: string; document: string | null }>();
    const existingByDocument = new Map<string, { id: string; phone: string | null }>();
    if (phones.length) {
      const found = await tx
        .select({ id: contacts.id, phone: contacts.phone, document: contacts.document })
        .from(contacts)
        .where(and(eq(contacts.organizationId, orgId), inJsonList(contacts.phone, phones)));
      for (const f of found) if (f.phone) existingByPhone.set(f.phone, f);
    }
    if (documents.length) {
      const found = await tx
        .select({ id: contacts.id, phone: contacts.phone, document: contacts.document })
        .from(contacts)
        .where(and(eq(contacts.organizationId, orgId), inJsonList(contacts.document, documents)));
      for (const f of found) if (f.document) existingByDocument.set(f.document, f);
    }
    const inserts: Clean[] = [];
    const updates = new Map<string, Clean>();
    const documentOwner = new Map<string, string>();
    for (const c of byPhone.values()) {
      const phoneMatch = existingByPhone.get(c.phone);
      const docMatch = c.document ? existingByDocument.get(c.document) : undefined;
      const target = phoneMatch?.id ?? docMatch?.id ?? null;
      // One document, one contact: in the book, and within this batch.
      const docTaken =
        c.document && ((docMatch && docMatch.id !== target) || (documentOwner.has(c.document) && documentOwner.get(c.document) !== (target ?? c.phone)));
      if (docTaken) {
        rejects.push({ line: c.line, reason: tText("contacts:book.reasons.documentTaken"), raw: csvLine(rawOf.get(c.line) ?? c.raw) });
        continue;
      }
      if (c.document) documentOwner.set(c.document, target ?? c.phone);
      if (target) {
        const earlier = updates.get(target);
        updates.set(target, earlier ? mergeInto(earlier, c) : c);
      } else inserts.push(c);
    }
    let created = 0;
    if (inserts.length) {
      const payload = inserts.map((c) => ({
        phone: c.phone,
        name: c.name,
        document: c.document,
        document_type: c.documentType,
        email: c.email,
        address: c.address,
        city: c.city,
        state: c.state,
        zip_code: c.zipCode,
        notes: c.notes,
        tags: c.tags,
        custom_fields: c.customFields,
      }));
      // One jsonb parameter, not 13 per row: a 1000-row multi-row insert built 13 000 parameters and
      // tens of MB of short-lived objects per batch (the import's memory peak; see tests/bench/contacts-import.ts).
      // A contact written meanwhile by a conversation is left to the next run's update path; counted as updated.
      const inserted = rowsOf<{ id: string }>(
        await tx.execute(sql`
          insert into contacts (organization_id, phone, name, document, document_type, email, address, city, state, zip_code, notes, tags, custom_fields)
          select ${orgId}::uuid, v.phone, v.name, v.document, v.document_type, v.email, v.address, v.city, v.state, v.zip_code, v.notes, v.tags, v.custom_fields
          from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as v(
            phone text, name text, document text, document_type text, email text, address text, city text, state text,
            zip_code text, notes text, tags text[], custom_fields jsonb)
          on conflict do nothing
          returning id`),
      );
      created = inserted.length;
    }
    if (updates.size) {
      const payload = [...updates.entries()].map(([id, c]) => ({
        id,
        name: c.name,
        document: c.document,
        document_type: c.documentType,
        email: c.email,
        address: c.address,
        city: c.city,
        state: c.state,
        zip_code: c.zipCode,
        notes: c.notes,
        tags: c.tags,
        custom_fields: c.customFields,
      }));
      await tx.execute(sql`
        update contacts c set
          name = coalesce(v.name, c.name),
          document = coalesce(v.document, c.document),
          document_type = coalesce(v.document_type, c.document_type),
          email = coalesce(v.email, c.email),
          address = coalesce(v.address, c.address),
          city = coalesce(v.city, c.city),
          state = coalesce(v.state, c.state),
          zip_code = coalesce(v.zip_code, c.zip_code),
          notes = coalesce(v.notes, c.notes),
          tags = array(select distinct t from unnest(c.tags || v.tags) as t),
          custom_fields = c.custom_fields || v.custom_fields,
          updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as v(
          id uuid, name text, document text, document_type text, email text, address text, city text, state text,
          zip_code text, notes text, tags text[], custom_fields jsonb)
        where c.id = v.id and c.organization_id = ${orgId}`);
    }
    if (rejects.length)
      await tx
        .insert(contactImportRejects)
        .values(rejects.map((r) => ({ importId: imp.id, line: r.line, reason: r.reason, raw: r.raw })))
        .onConflictDoNothing();
    counters.rowsRead += rows.length;
    counters.created += created;
    counters.updated += inserts.length - created + updates.size + duplicatesInBatch;
    counters.rejected += rejects.length;
    const status: ContactImportStatus = last ? "done" : "running";
    const [saved] = await tx
      .update(contactImports)
      .set({
        ...counters,
        status,
        leaseUntil: last ? null : sql`date_trunc('milliseconds', now() + interval '60 seconds')`,
        finishedAt: last ? new Date() : null,
      })
      .where(and(eq(contactImports.id, imp.id), eq(contactImports.leaseUntil, lease)))
      .returning({ leaseUntil: contactImports.leaseUntil });
    if (!saved) throw new LeaseLost();
    await publishLive(liveTopics.contactImport(imp.id), { status, ...counters }, tx);
    return saved.leaseUntil ?? lease;
  });
}

/** `column in (…)` with the list as one jsonb parameter (a statement whose text and parameters do not grow with the list). */
function inJsonList(column: AnyColumn, values: readonly string[]): SQL {
  return sql`${column} in (select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}

/** A rejected row as the CSV line it was (for the report). */
function csvLine(cells: string[]): string {
  return cells.map((c) => (/[",;\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",");
}

/** The rejected lines of an import in line order, paged (the report is streamed, never held whole). */
export async function* importRejects(caller: Caller, id: string, pageSize = 1000): AsyncGenerator<{ line: number; reason: string; raw: string }[]> {
  const imp = await getImport(caller, id);
  let after = 0;
  for (;;) {
    const rows = await db
      .select({ line: contactImportRejects.line, reason: contactImportRejects.reason, raw: contactImportRejects.raw })
      .from(contactImportRejects)
      .where(and(eq(contactImportRejects.importId, imp.id), sql`${contactImportRejects.line} > ${after}`))
      .orderBy(asc(contactImportRejects.line))
      .limit(pageSize);
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.line;
  }
}

export type ImportedContact = { line: number; contactId: string; variables: Record<string, string> };

/**
 * The contacts a finished import's accepted rows went to, in file order, a batch at a time (a campaign's
 * audience: 100 000 rows are never held whole). The stored file is read again and each row found as the
 * job found it: by canonical phone, then by CPF/CNPJ; rejected lines are left out. Each row carries its
 * cells by lower-cased header, the phone's excepted, empty ones left out (the message's variables).
 */
export async function* importedContacts(caller: Caller, id: string, opts: { tx?: DbOrTx; batchRows?: number } = {}): AsyncGenerator<ImportedContact[]> {
  // Every read goes through the caller's transaction when there is one (PGlite has one connection: a read
  // outside it would wait for it to end).
  const tx = opts.tx ?? db;
  const batchRows = opts.batchRows ?? IMPORT_LIMITS.batchRows;
  const imp = await getImport(caller, id, tx);
  if (imp.status !== "done") throw new AppError("conflict", tText("contacts:errors.importNotDone"));
  const definitions = await listFieldDefinitions(caller, tx);
  const phoneColumn = columnsOf(imp.mapping).get("phone");
  const keys = imp.headers.map((h) => h.trim().toLowerCase());
  let batch: Row[] = [];
  const heap = heapMark();
  for await (const { record, info } of recordsOf(imp, tx)) {
    batch.push({ line: info.lines, cells: record });
    if (batch.length >= batchRows) {
      yield await contactsOfRows(tx, imp, definitions, batch, phoneColumn, keys);
      batch = [];
      collectBetweenBatches(heap);
    }
  }
  if (batch.length) yield await contactsOfRows(tx, imp, definitions, batch, phoneColumn, keys);
}

async function contactsOfRows(
  tx: DbOrTx,
  imp: ContactImport,
  definitions: readonly FieldDefinition[],
  rows: Row[],
  phoneColumn: number | undefined,
  keys: string[],
): Promise<ImportedContact[]> {
  const rejected = new Set(
    (
      await tx
        .select({ line: contactImportRejects.line })
        .from(contactImportRejects)
        .where(and(eq(contactImportRejects.importId, imp.id), sql`${contactImportRejects.line} between ${rows[0]!.line} and ${rows[rows.length - 1]!.line}`))
    ).map((r) => r.line),
  );
  const accepted: { row: Row; phone: string; document: string | null }[] = [];
  for (const row of rows) {
    if (rejected.has(row.line)) continue;
    const c = cleanRow(row, imp.mapping, definitions);
    // A row the job accepted can read as rejected now only if a custom field changed since: left out.
    if (!("reason" in c)) accepted.push({ row, phone: c.phone, document: c.document });
  }
  const byPhone = new Map<string, string>();
  const byDocument = new Map<string, string>();
  const phones = [...new Set(accepted.map((a) => a.phone))];
  if (phones.length) {
    const found = await tx
      .select({ id: contacts.id, phone: contacts.phone })
      .from(contacts)
      .where(and(eq(contacts.organizationId, imp.organizationId), inJsonList(contacts.phone, phones)));
    for (const f of found) if (f.phone) byPhone.set(f.phone, f.id);
  }
  // The job updates the contact a document belongs to when the phone is new to the book.
  const documents = [...new Set(accepted.flatMap((a) => (!byPhone.has(a.phone) && a.document ? [a.document] : [])))];
  if (documents.length) {
    const found = await tx
      .select({ id: contacts.id, document: contacts.document })
      .from(contacts)
      .where(and(eq(contacts.organizationId, imp.organizationId), inJsonList(contacts.document, documents)));
    for (const f of found) if (f.document) byDocument.set(f.document, f.id);
  }
  const out: ImportedContact[] = [];
  for (const a of accepted) {
    const contactId = byPhone.get(a.phone) ?? (a.document ? byDocument.get(a.document) : undefined);
    if (!contactId) continue;
    const variables: Record<string, string> = {};
    a.row.cells.forEach((cell, i) => {
      const key = keys[i];
      const value = cell.trim();
      if (key && i !== phoneColumn && value) variables[key] = value;
    });
    out.push({ line: a.row.line, contactId, variables });
  }
  return out;
}
