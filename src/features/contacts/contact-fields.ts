import { cnpj, cpf } from "cpf-cnpj-validator";
import { z } from "zod";
import { tText } from "@/lib/i18n";

/**
 * The campaign-ready contact fields (document, email, address, city, state, CEP, notes): one schema
 * each, shared by the API, the admin form and the CSV import, so a value accepted anywhere is stored
 * the same way (digits for document and CEP, upper-case UF, lower-case email).
 */

export const UFS = [
  "AC",
  "AL",
  "AP",
  "AM",
  "BA",
  "CE",
  "DF",
  "ES",
  "GO",
  "MA",
  "MT",
  "MS",
  "MG",
  "PA",
  "PB",
  "PR",
  "PE",
  "PI",
  "RJ",
  "RN",
  "RS",
  "RO",
  "RR",
  "SC",
  "SP",
  "SE",
  "TO",
] as const;

export const FIELD_LIMITS = { emailMax: 254, addressMax: 300, cityMax: 120, notesMax: 4000, documentMax: 30 } as const;

export type DocumentType = "cpf" | "cnpj";

/** CPF (11 digits) or CNPJ (14) with valid check digits, as digits and its type; null when neither. */
export function parseDocument(value: string): { document: string; documentType: DocumentType } | null {
  const digits = value.replace(/\D/g, "");
  // Masks and spaces only: letters are not part of a numeric CPF/CNPJ.
  if (/[^\d.\-/\s]/.test(value.trim())) return null;
  if (digits.length === 11 && cpf.isValid(digits)) return { document: digits, documentType: "cpf" };
  if (digits.length === 14 && cnpj.isValid(digits)) return { document: digits, documentType: "cnpj" };
  return null;
}

/** `529.982.247-25` / `11.222.333/0001-81` for display; other text as stored. */
export function formatDocument(document: string | null | undefined): string {
  if (!document) return "";
  if (document.length === 11) return cpf.format(document);
  if (document.length === 14) return cnpj.format(document);
  return document;
}

/** `01310-100`. */
export function formatZipCode(zip: string | null | undefined): string {
  if (!zip) return "";
  return zip.length === 8 ? `${zip.slice(0, 5)}-${zip.slice(5)}` : zip;
}

/** Empty text means "clear the field" (null). */
const blankToNull = (v: string) => (v === "" ? null : v);

export const documentSchema = z
  .string()
  .trim()
  .max(FIELD_LIMITS.documentMax, { error: () => tText("contacts:schema.documentInvalid") })
  .transform((value, ctx) => {
    if (value === "") return null;
    const parsed = parseDocument(value);
    if (!parsed) {
      ctx.addIssue({ code: "custom", message: tText("contacts:schema.documentInvalid") });
      return z.NEVER;
    }
    return parsed.document;
  })
  .nullable();

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(FIELD_LIMITS.emailMax, { error: () => tText("contacts:schema.emailInvalid") })
  .refine((v) => v === "" || z.email().safeParse(v).success, { error: () => tText("contacts:schema.emailInvalid") })
  .transform(blankToNull)
  .nullable();

const textField = (max: number, key: string) =>
  z
    .string()
    .trim()
    .max(max, { error: () => tText(key, { count: max }) })
    .transform(blankToNull)
    .nullable();

export const addressSchema = textField(FIELD_LIMITS.addressMax, "contacts:schema.addressMax");
export const citySchema = textField(FIELD_LIMITS.cityMax, "contacts:schema.cityMax");
export const notesSchema = textField(FIELD_LIMITS.notesMax, "contacts:schema.notesMax");

export const stateSchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine((v) => v === "" || (UFS as readonly string[]).includes(v), { error: () => tText("contacts:schema.stateInvalid") })
  .transform(blankToNull)
  .nullable();

/** CEP: 8 digits, with or without the dash. */
export const zipCodeSchema = z
  .string()
  .trim()
  .refine((v) => v === "" || /^\d{5}-?\d{3}$/.test(v) || /^\d{2}\.\d{3}-\d{3}$/.test(v), { error: () => tText("contacts:schema.zipCodeInvalid") })
  .transform((v) => blankToNull(v.replace(/\D/g, "")))
  .nullable();

/** Raw custom field values as sent (validated against the organization's definitions by the service); null clears one. */
export const customFieldsInputSchema = z.record(z.string().max(40), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]));

/** The optional fields every contact write accepts (create, update, CSV row). */
export const contactDetailFields = {
  document: documentSchema.optional(),
  email: emailSchema.optional(),
  address: addressSchema.optional(),
  city: citySchema.optional(),
  state: stateSchema.optional(),
  zipCode: zipCodeSchema.optional(),
  notes: notesSchema.optional(),
  customFields: customFieldsInputSchema.optional(),
};

export type CustomFieldType = "text" | "number" | "date" | "boolean";
export type CustomValue = string | number | boolean;

const TRUE_WORDS = new Set(["true", "1", "sim", "s", "yes", "y", "on", "verdadeiro"]);
const FALSE_WORDS = new Set(["false", "0", "não", "nao", "n", "no", "off", "falso"]);

/**
 * A custom field value in its definition's type, or `undefined` when it is not one: numbers accept
 * `1234,5` (Brazilian decimal comma) and `1.234,5`; dates `YYYY-MM-DD` or `DD/MM/YYYY` (stored ISO);
 * booleans true/false, sim/não, 1/0.
 */
export function coerceCustomValue(type: CustomFieldType, raw: CustomValue): CustomValue | undefined {
  if (type === "boolean") {
    if (typeof raw === "boolean") return raw;
    const word = String(raw).trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return undefined;
  }
  if (type === "number") {
    if (typeof raw === "number") return Number.isFinite(raw) ? raw : undefined;
    if (typeof raw !== "string") return undefined;
    const text = raw.trim();
    const normalized = text.includes(",") ? text.replace(/\./g, "").replace(",", ".") : text;
    if (!/^-?\d+(\.\d+)?$/.test(normalized)) return undefined;
    return Number(normalized);
  }
  if (type === "date") {
    if (typeof raw !== "string") return undefined;
    const text = raw.trim();
    const br = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
    const iso = br ? `${br[3]}-${br[2]}-${br[1]}` : text;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return undefined;
    const date = new Date(`${iso}T00:00:00Z`);
    // `2026-02-31` parses to March: a date must read back as itself.
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso ? iso : undefined;
  }
  if (typeof raw === "boolean" || typeof raw === "number") return String(raw);
  const text = raw.trim();
  return text.length <= 1000 ? text : undefined;
}

/**
 * Merges `input` into `current` by the organization's definitions: unknown keys and values of the
 * wrong type are errors (path `customFields.<key>`), null or "" removes a value.
 */
export function applyCustomFields(
  definitions: readonly { key: string; type: CustomFieldType }[],
  current: Record<string, CustomValue>,
  input: Record<string, CustomValue | null>,
): { values: Record<string, CustomValue>; errors: { path: string; message: string }[] } {
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const values = { ...current };
  const errors: { path: string; message: string }[] = [];
  for (const [key, raw] of Object.entries(input)) {
    const def = byKey.get(key);
    if (!def) {
      errors.push({ path: `customFields.${key}`, message: tText("contacts:schema.customUnknown", { key }) });
      continue;
    }
    if (raw === null || raw === "") {
      delete values[key];
      continue;
    }
    const value = coerceCustomValue(def.type, raw);
    if (value === undefined) errors.push({ path: `customFields.${key}`, message: tText(`contacts:schema.customType.${def.type}`) });
    else values[key] = value;
  }
  return { values, errors };
}
