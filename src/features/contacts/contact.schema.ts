import { z } from "zod";
import { tText } from "@/lib/i18n";
import { parsePhone } from "@/lib/phone";
import type { ContactFilter } from "@/db/schema";
import { contactDetailFields, documentSchema, stateSchema } from "./contact-fields";

/** Limits shared by the API, the admin forms (maxlength) and the service. */
export const CONTACT_LIMITS = {
  nameMax: 120,
  tagMax: 40,
  tagsMax: 20,
  searchMax: 100,
  checkMax: 100,
  metadataBytesMax: 16_384,
  pageDefault: 50,
  pageMax: 200,
} as const;

/**
 * Tags are trimmed, lower-cased and de-duplicated so `VIP`, ` vip` and `vip` are one tag and the tag
 * filter matches what people typed. Forms send one comma-separated string; the API sends an array.
 */
export const tagsSchema = z
  .union([z.array(z.string()), z.string()])
  .transform((value) => {
    const list = Array.isArray(value) ? value : value.split(",");
    return [...new Set(list.map((t) => t.trim().toLowerCase()).filter(Boolean))];
  })
  .pipe(
    z
      .array(
        z
          .string()
          .max(CONTACT_LIMITS.tagMax, { error: () => tText("contacts:schema.tagMax", { count: CONTACT_LIMITS.tagMax }) })
          .regex(/^[\p{L}\p{N}_\-:. ]+$/u, { error: () => tText("contacts:schema.tagChars") }),
      )
      .max(CONTACT_LIMITS.tagsMax, { error: () => tText("contacts:schema.tagsMax", { count: CONTACT_LIMITS.tagsMax }) }),
  );

/** A phone in any common notation (national numbers read as Brazilian, or a WhatsApp JID) normalized to canonical E.164 (lib/phone). */
export const phoneSchema = z
  .string()
  .trim()
  .min(1, { error: () => tText("contacts:schema.phoneRequired") })
  .max(40)
  .transform((value, ctx) => {
    const e164 = parsePhone(value);
    if (!e164) {
      ctx.addIssue({ code: "custom", message: tText("contacts:schema.phoneInvalid") });
      return z.NEVER;
    }
    return e164;
  });

const nameSchema = z
  .string()
  .trim()
  .max(CONTACT_LIMITS.nameMax, { error: () => tText("contacts:schema.nameMax", { count: CONTACT_LIMITS.nameMax }) })
  .transform((v) => (v === "" ? null : v))
  .nullable();

const metadataSchema = z.record(z.string(), z.unknown()).refine((m) => JSON.stringify(m).length <= CONTACT_LIMITS.metadataBytesMax, {
  error: () => tText("contacts:schema.metadataMax", { count: CONTACT_LIMITS.metadataBytesMax }),
});

/** Form checkboxes arrive as "on"/"true"/absent; the API sends booleans. */
export const checkboxSchema = z
  .union([z.boolean(), z.enum(["on", "true", "false", "1", "0", ""])])
  .transform((v) => v === true || v === "on" || v === "true" || v === "1");

export const contactCreateSchema = z.object({
  phone: phoneSchema,
  name: nameSchema.optional(),
  tags: tagsSchema.optional(),
  blocked: checkboxSchema.optional(),
  optedOut: checkboxSchema.optional(),
  metadata: metadataSchema.optional(),
  ...contactDetailFields,
});
export type ContactCreateInput = z.output<typeof contactCreateSchema>;

/** The phone is the contact's identity on WhatsApp and cannot change; create another contact instead. */
export const contactUpdateSchema = z.object({
  name: nameSchema.optional(),
  tags: tagsSchema.optional(),
  blocked: checkboxSchema.optional(),
  optedOut: checkboxSchema.optional(),
  metadata: metadataSchema.optional(),
  ...contactDetailFields,
});
export type ContactUpdateInput = z.output<typeof contactUpdateSchema>;

export const contactListQuerySchema = z.object({
  q: z.string().trim().max(CONTACT_LIMITS.searchMax).optional(),
  /** One tag, or several comma-separated: a contact must carry all of them. */
  tag: z
    .union([z.string(), z.array(z.string())])
    // Elysia hands `?tag=a,b` (or a repeated `tag`) over as an array; keep one comma-joined form.
    .transform((v) => (Array.isArray(v) ? v.join(",") : v).trim())
    .pipe(z.string().max(CONTACT_LIMITS.tagMax * 5))
    .optional(),
  blocked: z.enum(["true", "false"]).optional(),
  city: z.string().trim().max(120).optional(),
  state: stateSchema.optional(),
  /** A CPF/CNPJ in any notation: the contact with that document. */
  document: documentSchema.optional(),
  /** Custom field filters `key:value` (repeat the parameter for several; all must match). */
  custom: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(
      z
        .array(
          z
            .string()
            .max(200)
            .regex(/^[a-z][a-z0-9_]*:.*$/, { error: () => tText("contacts:schema.customFilterInvalid") }),
        )
        .max(10),
    )
    .optional(),
  limit: z.coerce.number().int().min(1).max(CONTACT_LIMITS.pageMax).default(CONTACT_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type ContactListQuery = z.output<typeof contactListQuerySchema>;

export const contactCheckSchema = z.object({
  phones: z
    .array(z.string().max(40))
    .min(1, { error: () => tText("contacts:schema.checkMin") })
    .max(CONTACT_LIMITS.checkMax, { error: () => tText("contacts:schema.checkMax", { count: CONTACT_LIMITS.checkMax }) }),
  /** Which instance asks WhatsApp; defaults to the key's instance or the organization's only connected one. */
  instanceId: z.uuid().optional(),
});

export const contactIdParams = z.object({ id: z.string().max(64) });

/** `POST /v1/contacts/:id/merge`: the contact to fold into `:id` (the same person under another contact). */
export const contactMergeSchema = z.object({
  contactId: z.uuid({ error: () => tText("contacts:schema.mergeContactId") }),
});

/** `POST /v1/contacts/:id/refresh?instanceId=`: which instance asks WhatsApp (default: see contact.whatsapp.ts). */
export const contactRefreshQuery = z.object({ instanceId: z.uuid().optional() });

/** `POST /v1/contacts/:id/whatsapp-block`: block (true) or unblock (false) on WhatsApp's side. */
export const contactWhatsAppBlockSchema = z.object({
  blocked: z.boolean({ error: () => tText("contacts:schema.whatsappBlocked") }),
  instanceId: z.uuid().optional(),
});

/** Parses a tag filter string (`vip, lead`) into normalized tags, dropping anything a tag can't be. */
export function parseTagFilter(tag: string | undefined): string[] {
  if (!tag) return [];
  const parsed = tagsSchema.safeParse(tag);
  return parsed.success ? parsed.data : [];
}

/** `POST /v1/contact-imports/:id/start`: column index → contact field (validated against the file's columns by the service). */
export const contactImportStartSchema = z.object({
  mapping: z.record(z.string().regex(/^\d{1,3}$/), z.string().max(60)),
});

/** `GET /v1/contact-export`: optional filters (all contacts, opted-out included, when none). */
export const contactExportQuerySchema = z.object({
  tag: contactListQuerySchema.shape.tag,
  city: z.string().trim().max(120).optional(),
  state: stateSchema.optional(),
});

export function exportFilterOf(query: z.output<typeof contactExportQuerySchema>): ContactFilter {
  return { tags: parseTagFilter(query.tag), city: query.city || undefined, state: query.state ?? undefined, excludeOptedOut: false };
}
