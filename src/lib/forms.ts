import { z } from "zod";
import { AppError, zodDetails, type ErrorCode, type FieldError } from "./errors";

/**
 * Admin form posts. A form's field names are the paths of the zod schema it shares with `/v1`
 * (`config.model`, `text`…), so the field errors of a 422 re-render are the API's `details` as they are.
 */

/** A urlencoded body as Elysia hands it over (a repeated name arrives as an array). */
export type FormBody = Record<string, unknown>;

/** The posted body as an object; anything else (no body, JSON array) reads as no fields. */
export function formFields(body: unknown): FormBody {
  return body && typeof body === "object" && !Array.isArray(body) ? (body as FormBody) : {};
}

/** A text field's value ("" when absent or repeated). */
export function formText(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** A trimmed text field, undefined when left empty (an optional field of the schema). */
export function optionalText(value: unknown): string | undefined {
  const text = formText(value).trim();
  return text === "" ? undefined : text;
}

/** A checkbox: present with a truthy value when ticked, absent when not. */
export function checkbox(value: unknown): boolean {
  return value === "true" || value === "on" || value === "1";
}

/** Checkbox groups and multi-selects: one value arrives as a string, several as an array. */
export function formList(value: unknown): string[] {
  if (typeof value === "string") return value === "" ? [] : [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
}

/** A textarea with one entry per line (CRLF from browsers), blank lines ignored. */
export function formLines(value: unknown): string[] {
  return formText(value)
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The posted strings as a re-render shows them back (never the CSRF token). */
export function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(formFields(body))) if (typeof value === "string" && name !== "_csrf") out[name] = value;
  return out;
}

/** The message for one field (exact path), as a view shows it next to the input. */
export function fieldError(errors: readonly FieldError[] | undefined, path: string): string | undefined {
  return errors?.find((e) => e.path === path)?.message;
}

/** Every error at a path or below it (`transitions` also gets `transitions.yes`). */
export function fieldErrors(errors: readonly FieldError[] | undefined, path: string): FieldError[] {
  return errors?.filter((e) => e.path === path || e.path.startsWith(`${path}.`)) ?? [];
}

/**
 * Which other expected failures a form shows next to its fields instead of an error page: `codes`
 * (a key already taken is a `conflict`…), shown at `path` (the whole form, "(body)", by default).
 */
export type FormErrorOptions = { codes?: readonly ErrorCode[]; path?: string };

/**
 * The validation failure of a form action as field errors: a ZodError's issues or the details of an
 * `AppError("validation_failed")` (its message when it has none), or the message of an error whose
 * code is in `options.codes`. Undefined for anything else, which the caller rethrows so onError
 * answers it (404, 403…).
 */
export function formErrors(err: unknown, options: FormErrorOptions = {}): FieldError[] | undefined {
  if (err instanceof z.ZodError) return zodDetails(err.issues);
  if (!(err instanceof AppError)) return undefined;
  if (err.code === "validation_failed") return err.details?.length ? err.details : [{ path: options.path ?? "(body)", message: err.message }];
  if (options.codes?.includes(err.code)) return [{ path: options.path ?? "(body)", message: err.message }];
  return undefined;
}

export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Runs a form action: its validation failure comes back as field errors, any other error propagates. */
export async function attemptForm<T>(run: () => Promise<T> | T, options?: FormErrorOptions): Promise<FormResult<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const errors = formErrors(err, options);
    if (!errors) throw err;
    return { ok: false, errors };
  }
}

/** Parses form input with the schema `/v1` uses; `extra` are errors only a form can make (a malformed line). */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown, extra: FieldError[] = []): FormResult<z.output<S>> {
  const parsed = schema.safeParse(input);
  const errors = [...extra, ...(parsed.success ? [] : zodDetails(parsed.error.issues))];
  return parsed.success && errors.length === 0 ? { ok: true, value: parsed.data } : { ok: false, errors };
}

/** A 422 re-render: sets the status and returns what `render` returns. */
export function unprocessable<T>(set: { status?: number | string }, render: () => T): T {
  set.status = 422;
  return render();
}
