import { z } from "zod";
import { tText } from "@/lib/i18n";

/** Every scope a key may carry (SPEC §3); `*` grants all of them. */
export const API_KEY_SCOPES = [
  "instances:read",
  "instances:write",
  "messages:read",
  "messages:write",
  "contacts:read",
  "contacts:write",
  "webhooks:read",
  "webhooks:write",
  "workflows:read",
  "workflows:write",
  "devices:read",
  "devices:write",
  /** Every event type on /v1/events; without it a key reads only the types its other read scopes cover. */
  "events:read",
  "usage:read",
  "*",
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What a visitor's key (try before sign-up) may do: drive its own instance, nothing org-wide. */
export const VISITOR_KEY_SCOPES: ApiKeyScope[] = ["instances:read", "instances:write", "messages:read", "messages:write", "contacts:read"];

export const API_KEY_LIMITS = {
  nameMax: 100,
  requestsPerMinuteMax: 100_000,
  messagesPerDayMax: 10_000_000,
} as const;

/** Form fields arrive as strings ("" = not set); JSON may send null. Both become null. */
const blankToNull = (v: unknown) => (v === "" || v === undefined ? null : v);

const optionalUuid = (messageKey: string) => z.preprocess(blankToNull, z.uuid({ error: () => tText(messageKey) }).nullable()).optional();

export const optionalPositiveInt = (max: number) =>
  z
    .preprocess(
      blankToNull,
      z.coerce
        .number({ error: () => tText("api-keys:validation.wholeNumber") })
        .int({ error: () => tText("api-keys:validation.wholeNumber") })
        .min(1, { error: () => tText("api-keys:validation.atLeastOne") })
        .max(max, { error: () => tText("api-keys:validation.atMost", { max }) })
        .nullable(),
    )
    .optional();

/**
 * Expiry: a full ISO timestamp, or a date ("2030-01-31": the key expires at the end of that UTC day;
 * the admin form turns its date into the end of that day in the reader's zone first); blank/null =
 * never. Must lie in the future.
 */
export const keyExpiresAtSchema = z
  .preprocess(
    blankToNull,
    z
      .union([z.iso.date().transform((d) => new Date(`${d}T23:59:59.999Z`)), z.iso.datetime({ offset: true }).transform((d) => new Date(d))], {
        error: () => tText("api-keys:validation.dateFormat"),
      })
      .nullable(),
  )
  .optional()
  .refine((d) => d == null || d.getTime() > Date.now(), { error: () => tText("api-keys:validation.expiryFuture") });

/** The create-key input, shared by the admin form and any API caller. */
export const createApiKeySchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, { error: () => tText("api-keys:validation.nameRequired") })
    .max(API_KEY_LIMITS.nameMax, { error: () => tText("api-keys:validation.nameMax", { count: API_KEY_LIMITS.nameMax }) }),
  // A single checked checkbox arrives as a string, several as an array.
  scopes: z.preprocess(
    (v) => (v === undefined || v === "" ? [] : typeof v === "string" ? [v] : v),
    z
      .array(z.enum(API_KEY_SCOPES, { error: () => tText("api-keys:validation.unknownScope") }))
      .min(1, { error: () => tText("api-keys:validation.scopesMin") })
      .transform((s) => (s.includes("*") ? ["*"] : [...new Set(s)])),
  ),
  instanceId: optionalUuid("api-keys:validation.chooseInstance"),
  deviceId: optionalUuid("api-keys:validation.chooseDevice"),
  expiresAt: keyExpiresAtSchema,
  requestsPerMinute: optionalPositiveInt(API_KEY_LIMITS.requestsPerMinuteMax),
  maxMessagesPerDay: optionalPositiveInt(API_KEY_LIMITS.messagesPerDayMax),
});
export type CreateApiKeyInput = z.output<typeof createApiKeySchema>;
/** What the form echoes back when it re-renders with errors. */
export type ApiKeyFormValues = Partial<Record<keyof z.input<typeof createApiKeySchema>, unknown>>;
