import { customType, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { organizations, users } from "./tenancy";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

export const CONTACT_FIELD_TYPES = ["text", "number", "date", "boolean"] as const;
export type ContactFieldType = (typeof CONTACT_FIELD_TYPES)[number];

/** A custom contact field the organization defines; values live in `contacts.custom_fields[key]`, validated by `type`. */
export const contactFieldDefinitions = pgTable(
  "contact_field_definitions",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Stable machine key (`plano`, `vencimento`): the jsonb key, the CSV column and the filter name. */
    key: text().notNull(),
    label: text().notNull(),
    type: text({ enum: CONTACT_FIELD_TYPES }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("contact_field_definitions_org_key_unique").on(t.organizationId, t.key)],
);

/** The filter a segment saves (validated by segments.schema.ts); the same shape filters the contact list. */
export type ContactFilter = {
  tags?: string[];
  city?: string;
  state?: string;
  /** custom field key → exact value (text/number/date as text, boolean as "true"/"false"). */
  custom?: Record<string, string>;
  lastInteractionAfter?: string;
  lastInteractionBefore?: string;
  /** Default true for segments: opted-out and blocked contacts are left out. */
  excludeOptedOut?: boolean;
};

/** A named, saved contact filter (campaign audiences). */
export const segments = pgTable(
  "segments",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    filter: jsonb().$type<ContactFilter>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("segments_org_name_unique").on(t.organizationId, t.name)],
);

export const CONTACT_IMPORT_STATUSES = ["uploaded", "queued", "running", "done", "failed"] as const;
export type ContactImportStatus = (typeof CONTACT_IMPORT_STATUSES)[number];

/**
 * A CSV import: the uploaded file (in `contact_import_chunks`), its column mapping, and the job's
 * progress. The job claims the row through `lease_until` (src/workers/jobs.ts) and checkpoints
 * `rows_read` after every committed batch, so a crashed import resumes where it stopped.
 */
export const contactImports = pgTable(
  "contact_imports",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    filename: text().notNull(),
    sizeBytes: integer().notNull().default(0),
    status: text({ enum: CONTACT_IMPORT_STATUSES }).notNull().default("uploaded"),
    /** The header row as read at upload (or `Coluna 1…` when the file has none). */
    headers: text().array().notNull(),
    /** The first rows, for the mapping preview. */
    preview: jsonb().$type<string[][]>().notNull().default([]),
    /** column index (as text) → contact field (`phone`, `name`, `custom:<key>`…). */
    mapping: jsonb().$type<Record<string, string>>().notNull().default({}),
    delimiter: text().notNull().default(","),
    rowsRead: integer().notNull().default(0),
    created: integer().notNull().default(0),
    updated: integer().notNull().default(0),
    rejected: integer().notNull().default(0),
    error: text(),
    leaseUntil: tstz(),
    startedAt: tstz(),
    finishedAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("contact_imports_org_created_idx").on(t.organizationId, t.createdAt.desc()), index("contact_imports_due_idx").on(t.status)],
);

/** The uploaded CSV in pieces of about 1 MiB, so neither the upload nor the job holds the whole file. */
export const contactImportChunks = pgTable(
  "contact_import_chunks",
  {
    importId: uuid()
      .notNull()
      .references(() => contactImports.id, { onDelete: "cascade" }),
    seq: integer().notNull(),
    data: bytea().notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.seq] })],
);

/** A rejected CSV line with its reason (the downloadable report). */
export const contactImportRejects = pgTable(
  "contact_import_rejects",
  {
    importId: uuid()
      .notNull()
      .references(() => contactImports.id, { onDelete: "cascade" }),
    line: integer().notNull(),
    reason: text().notNull(),
    raw: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.line] })],
);
