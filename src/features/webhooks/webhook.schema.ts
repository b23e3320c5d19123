import { z } from "zod";
import { DELIVERY_STATUSES } from "@/db/schema";
import { EVENT_TYPES } from "@/features/events/event.service";
import { tText } from "@/lib/i18n";

/** Limits shared by the API, the form and the views (maxlength). */
export const WEBHOOK_LIMITS = {
  nameMax: 100,
  urlMax: 2048,
  headersMax: 20,
  headerNameMax: 100,
  headerValueMax: 2000,
  instanceIdsMax: 100,
} as const;

/**
 * Header names the subscriber must not be able to override: hop-by-hop headers (RFC 9110 §7.6.1),
 * framing/host headers we compute, and the Standard Webhooks `webhook-*` headers we sign.
 */
const RESERVED_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "trailers",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "content-type",
  "content-encoding",
  "expect",
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function reservedHeaderReason(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower.startsWith("webhook-")) return tText("webhooks:validation.headerSignature", { name });
  if (RESERVED_HEADERS.has(lower)) return tText("webhooks:validation.headerReserved", { name });
  return null;
}

export const webhookUrlSchema = z
  .string({ error: () => tText("webhooks:validation.urlRequired") })
  .trim()
  .min(1, { error: () => tText("webhooks:validation.urlRequired") })
  .max(WEBHOOK_LIMITS.urlMax, { error: () => tText("webhooks:validation.urlMax", { count: WEBHOOK_LIMITS.urlMax }) })
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: tText("webhooks:validation.fullUrl") });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") ctx.addIssue({ code: "custom", message: tText("webhooks:validation.httpOnly") });
    else if (url.username || url.password) ctx.addIssue({ code: "custom", message: tText("webhooks:validation.noCredentials") });
    else if (!url.hostname) ctx.addIssue({ code: "custom", message: tText("webhooks:validation.needsHost") });
  });

export const webhookHeadersSchema = z
  .record(
    z.string(),
    z.string().max(WEBHOOK_LIMITS.headerValueMax, { error: () => tText("webhooks:validation.headerValueMax", { count: WEBHOOK_LIMITS.headerValueMax }) }),
  )
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > WEBHOOK_LIMITS.headersMax)
      ctx.addIssue({ code: "custom", message: tText("webhooks:validation.headersMax", { count: WEBHOOK_LIMITS.headersMax }) });
    const seen = new Set<string>();
    for (const name of names) {
      const value = headers[name]!;
      if (!HEADER_NAME.test(name) || name.length > WEBHOOK_LIMITS.headerNameMax) {
        ctx.addIssue({ code: "custom", path: [name], message: tText("webhooks:validation.headerName", { name: name.slice(0, 40) }) });
        continue;
      }
      const reserved = reservedHeaderReason(name);
      if (reserved) ctx.addIssue({ code: "custom", path: [name], message: reserved });
      if (seen.has(name.toLowerCase())) ctx.addIssue({ code: "custom", path: [name], message: tText("webhooks:validation.headerTwice", { name }) });
      seen.add(name.toLowerCase());
      if (/[\r\n\0]/.test(value)) ctx.addIssue({ code: "custom", path: [name], message: tText("webhooks:validation.headerLineBreak") });
    }
  });

const eventTypesSchema = z
  .array(z.enum(EVENT_TYPES, { error: (i) => tText("webhooks:validation.unknownEventType", { type: JSON.stringify(i.input) }) }))
  .min(1, { error: () => tText("webhooks:validation.eventTypesMin") })
  .max(EVENT_TYPES.length)
  .transform((types) => [...new Set(types)]);

const instanceIdsSchema = z
  .array(z.uuid({ error: () => tText("webhooks:validation.instanceIdUuid") }))
  .min(1, { error: () => tText("webhooks:validation.instanceIdsMin") })
  .max(WEBHOOK_LIMITS.instanceIdsMax)
  .transform((ids) => [...new Set(ids)]);

/** Body of `POST /v1/webhooks` and the create form (after `formToWebhookInput`). */
export const createWebhookSchema = z.object({
  url: webhookUrlSchema,
  name: z
    .string()
    .trim()
    .max(WEBHOOK_LIMITS.nameMax, { error: () => tText("webhooks:validation.nameMax", { count: WEBHOOK_LIMITS.nameMax }) })
    .optional(),
  /** Omitted or null = every event type. */
  eventTypes: eventTypesSchema.nullable().optional(),
  /** Omitted or null = every instance of the organization. */
  instanceIds: instanceIdsSchema.nullable().optional(),
  headers: webhookHeadersSchema.optional(),
});
export type CreateWebhookInput = z.infer<typeof createWebhookSchema>;

/** Body of `PATCH /v1/webhooks/:id` and the edit form; `active` enables or disables the endpoint. */
export const updateWebhookSchema = createWebhookSchema.partial().extend({ active: z.boolean().optional() });
export type UpdateWebhookInput = z.infer<typeof updateWebhookSchema>;

export const listDeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  eventType: z.enum(EVENT_TYPES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const listWebhooksQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const recoverSchema = z.object({
  since: z.coerce
    .date({ error: () => tText("webhooks:validation.recoverDate") })
    .refine((d) => d.getTime() <= Date.now() + 60_000, { error: () => tText("webhooks:validation.recoverFuture") }),
});

/**
 * Why an endpoint was disabled, as stored, evented and returned by the API: stable English, like the
 * event types; pages word them in the reader's language.
 */
export const DISABLED_REASON = {
  user: "Disabled by a user",
  gone: "The endpoint answered 410 Gone",
  failingSince: "Failing continuously since ",
} as const;

/**
 * Why an attempt or a delivery failed, as the delivery log stores it and the API returns it (stable
 * English, written by the workers, which have no reader); `deliveryErrorText` words it for the reader.
 */
export const DELIVERY_ERROR = {
  notPrepared: "The endpoint's signing secret or custom headers cannot be decrypted (was APP_SECRET changed?)",
  timedOut: "Timed out after ",
  refused: "Refused: ",
  requestFailed: "Request failed: ",
  noResponse: "No response",
  gone: "The endpoint answered 410 Gone and was disabled",
  endpointDisabled: "Endpoint disabled",
} as const;

/** A stored delivery error in the reader's language; the runtime's own detail (after the colon) stays as recorded. */
export function deliveryErrorText(stored: string): string {
  if (stored === DELIVERY_ERROR.notPrepared) return tText("webhooks:deliveryError.notPrepared");
  if (stored === DELIVERY_ERROR.noResponse) return tText("webhooks:deliveryError.noResponse");
  if (stored === DELIVERY_ERROR.gone) return tText("webhooks:deliveryError.gone");
  if (stored === DELIVERY_ERROR.endpointDisabled) return tText("webhooks:deliveryError.endpointDisabled");
  const timedOut = /^Timed out after (\d+(?:\.\d+)?) s$/.exec(stored);
  if (timedOut) return tText("webhooks:deliveryError.timedOut", { seconds: timedOut[1] });
  if (stored.startsWith(DELIVERY_ERROR.refused)) return tText("webhooks:deliveryError.refused", { reason: stored.slice(DELIVERY_ERROR.refused.length) });
  if (stored.startsWith(DELIVERY_ERROR.requestFailed))
    return tText("webhooks:deliveryError.requestFailed", { reason: stored.slice(DELIVERY_ERROR.requestFailed.length) });
  return stored;
}

/**
 * What API responses, admin pages and the attempt log show instead of a custom header's value. Sent
 * back unchanged (a PATCH of what GET returned, or an edit form saved as shown), it keeps the stored value.
 */
export const MASKED_HEADER_VALUE = "••••";

/** The form sends headers as a textarea of `Name: value` lines; this parses it for the shared schema. */
export function parseHeaderLines(text: string): { headers: Record<string, string>; errors: string[] } {
  const headers: Record<string, string> = {};
  const errors: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      errors.push(tText("webhooks:validation.headerLine", { line: i + 1 }));
      continue;
    }
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers, errors };
}

export function headerLines(headers: Record<string, string> | null | undefined): string {
  return Object.entries(headers ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}
