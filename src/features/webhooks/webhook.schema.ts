import { z } from "zod";
import { DELIVERY_STATUSES, ENDPOINT_KINDS } from "@/db/schema";
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
  /** RabbitMQ exchange and NATS stream names. */
  sinkNameMax: 200,
} as const;

export { ENDPOINT_KINDS };
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];
/** The kinds that publish to a message broker instead of POSTing to a URL. */
export type SinkKind = Exclude<EndpointKind, "webhook">;
export const isSinkKind = (kind: EndpointKind): kind is SinkKind => kind !== "webhook";

/** A RabbitMQ sink publishes to this topic exchange unless it names another. */
export const SINK_DEFAULTS = { exchange: "livchat" } as const;

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

/** The URL schemes each sink kind accepts. */
const SINK_PROTOCOLS: Record<SinkKind, string[]> = { nats: ["nats:", "tls:"], rabbitmq: ["amqp:", "amqps:"] };

/**
 * The field errors of an endpoint's URL for its kind: an http(s) URL without credentials for a
 * webhook; `nats://[user:password@|token@]host[:port]` (or `tls://`) for NATS; `amqp(s)://user:password@host[:port][/vhost]`
 * for RabbitMQ (credentials belong in a broker URL: they are stored encrypted and shown masked).
 */
export function endpointUrlIssues(kind: EndpointKind, value: string): string[] {
  if (kind === "webhook") {
    const parsed = webhookUrlSchema.safeParse(value);
    return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [tText(kind === "nats" ? "webhooks:validation.natsUrl" : "webhooks:validation.amqpUrl")];
  }
  if (!SINK_PROTOCOLS[kind].includes(url.protocol) || !url.hostname)
    return [tText(kind === "nats" ? "webhooks:validation.natsUrl" : "webhooks:validation.amqpUrl")];
  if (url.search || url.hash) return [tText("webhooks:validation.sinkUrlQuery")];
  if (kind === "nats" && url.pathname && url.pathname !== "/") return [tText("webhooks:validation.natsUrl")];
  return [];
}

/** RabbitMQ exchange names: letters, digits, `-_.:`; `amq.` is the broker's own. */
export const exchangeSchema = z
  .string()
  .trim()
  .min(1, { error: () => tText("webhooks:validation.exchange", { count: WEBHOOK_LIMITS.sinkNameMax }) })
  .max(WEBHOOK_LIMITS.sinkNameMax, { error: () => tText("webhooks:validation.exchange", { count: WEBHOOK_LIMITS.sinkNameMax }) })
  .regex(/^[A-Za-z0-9_.:-]+$/, { error: () => tText("webhooks:validation.exchange", { count: WEBHOOK_LIMITS.sinkNameMax }) })
  .refine((v) => !v.startsWith("amq."), { error: () => tText("webhooks:validation.exchangeReserved") });

/** NATS stream names: no whitespace, `.`, `*`, `>`, `/` or `\`. */
export const streamSchema = z
  .string()
  .trim()
  .min(1, { error: () => tText("webhooks:validation.stream", { count: WEBHOOK_LIMITS.sinkNameMax }) })
  .max(WEBHOOK_LIMITS.sinkNameMax, { error: () => tText("webhooks:validation.stream", { count: WEBHOOK_LIMITS.sinkNameMax }) })
  .regex(/^[A-Za-z0-9_-]+$/, { error: () => tText("webhooks:validation.stream", { count: WEBHOOK_LIMITS.sinkNameMax }) });

type EndpointShape = { kind?: EndpointKind; url?: string; headers?: Record<string, string>; exchange?: string | null; stream?: string | null };

/**
 * The rules that depend on the kind: the URL's form, `exchange` only for RabbitMQ, `stream` only for
 * NATS, custom headers only for webhooks (a field another kind would not use is refused, not ignored).
 * Create checks them in the schema; an update in the service, which knows the stored kind.
 */
export function endpointKindIssues(kind: EndpointKind, v: EndpointShape): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (v.url !== undefined) for (const message of endpointUrlIssues(kind, v.url)) issues.push({ path: "url", message });
  if (v.exchange != null && kind !== "rabbitmq") issues.push({ path: "exchange", message: tText("webhooks:validation.exchangeOnlyRabbit") });
  if (v.stream != null && kind !== "nats") issues.push({ path: "stream", message: tText("webhooks:validation.streamOnlyNats") });
  if (isSinkKind(kind) && v.headers && Object.keys(v.headers).length > 0)
    issues.push({ path: "headers", message: tText("webhooks:validation.headersOnlyWebhook") });
  return issues;
}

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

const endpointUrlSchema = z
  .string({ error: () => tText("webhooks:validation.urlRequired") })
  .trim()
  .min(1, { error: () => tText("webhooks:validation.urlRequired") })
  .max(WEBHOOK_LIMITS.urlMax, { error: () => tText("webhooks:validation.urlMax", { count: WEBHOOK_LIMITS.urlMax }) });

/** The fields of an endpoint; `url` is checked for the kind by endpointKindIssues. */
const endpointFields = z.object({
  /** `webhook` (default): POST to `url`; `nats`: publish to JetStream; `rabbitmq`: publish to a topic exchange. */
  kind: z.enum(ENDPOINT_KINDS, { error: () => tText("webhooks:validation.kind") }).default("webhook"),
  url: endpointUrlSchema,
  /** RabbitMQ: the topic exchange (declared durable if missing); default `livchat`. */
  exchange: exchangeSchema.nullable().optional(),
  /** NATS: the JetStream stream that captures `livchat.<organization>.>`; default `LIVCHAT-<organization id>`, created if missing. */
  stream: streamSchema.nullable().optional(),
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

/** Body of `POST /v1/webhooks` and the create form (after `formToWebhookInput`). */
export const createWebhookSchema = endpointFields.superRefine((v, ctx) => {
  for (const issue of endpointKindIssues(v.kind, v)) ctx.addIssue({ code: "custom", path: [issue.path], message: issue.message });
});
/** The validated create body; `kind` may be left out by callers in code (a webhook). */
export type CreateWebhookInput = Omit<z.output<typeof createWebhookSchema>, "kind"> & { kind?: EndpointKind };

/**
 * Body of `PATCH /v1/webhooks/:id` and the edit form; `active` enables or disables the endpoint. The
 * kind is fixed at creation (another kind is another endpoint).
 */
export const updateWebhookSchema = endpointFields.omit({ kind: true }).partial().extend({ active: z.boolean().optional() });
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
  /** A sink's publish failed or was not acknowledged. */
  publishFailed: "Publish failed: ",
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
  if (stored.startsWith(DELIVERY_ERROR.publishFailed))
    return tText("webhooks:deliveryError.publishFailed", { reason: stored.slice(DELIVERY_ERROR.publishFailed.length) });
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
