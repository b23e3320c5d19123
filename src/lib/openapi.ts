import type { Table } from "drizzle-orm";
import { createSelectSchema } from "drizzle-zod";
import type { DocumentDecoration } from "elysia";
import { z } from "zod";

/**
 * The parts of `/openapi.json` that the route schemas cannot say by themselves: the error envelope and
 * the headers every `/v1` call shares, and `ok()` for a route's 2xx body.
 *
 * Response bodies are documented through `detail.responses` (`ok(schema)`) rather than Elysia's
 * `response` option: `response` also validates and strips every answer at run time, which costs a zod
 * parse per request on hot paths (sends, event polling) and would silently drop a field a feature adds
 * before its schema does. The schema ↔ answer agreement is instead proved by tests/openapi, which calls
 * the real app and validates the answers against this document with ajv.
 */

type JsonSchema = Record<string, unknown>;
/** A route's `detail.responses`, as Elysia's openapi types it. */
export type Responses = NonNullable<DocumentDecoration["responses"]>;
type MediaSchema = NonNullable<NonNullable<Exclude<Responses[string], { $ref: string }>["content"]>[string]["schema"]>;
type ResponseObject = { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> };
type Operation = {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: Record<string, unknown>[];
  requestBody?: { description?: string; required?: boolean; content?: Record<string, { schema: JsonSchema }> };
  responses?: Record<string, ResponseObject | { $ref: string }>;
  hide?: boolean;
  [extension: string]: unknown;
};
type Document = {
  openapi: string;
  info: Record<string, unknown>;
  servers?: { url: string; description?: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

/** A zod schema as the JSON Schema of what the server sends (dates already strings). */
function responseJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as JsonSchema;
  return json;
}

/**
 * `detail.responses` for a route answering `status` with a JSON body shaped by `schema`
 * (`{ tags, summary, responses: ok(contactJsonSchema, 201) }`).
 */
export function ok(schema: z.ZodType, status: 200 | 201 | 202 = 200, options: { description?: string; eventStream?: string } = {}): Responses {
  const content: Record<string, { schema: MediaSchema }> = { "application/json": { schema: responseJsonSchema(schema) as MediaSchema } };
  // The same answer streamed as Server-Sent Events when the client sends Accept: text/event-stream.
  if (options.eventStream) content["text/event-stream"] = { schema: { type: "string", description: options.eventStream } };
  return { [status]: { description: options.description ?? STATUS_DESCRIPTION[status] ?? "OK", content } };
}

/** `detail.responses` for a route that answers 204 without a body. */
export function noContent(description = "Done; no body"): Responses {
  return { 204: { description } };
}

/** A timestamp as JSON carries it (a Date serialized by JSON.stringify): an ISO 8601 string. */
export const timestamp = () => z.string().meta({ format: "date-time" });

/**
 * The JSON of some columns of a table row, typed from the Drizzle table itself (drizzle-zod), with
 * timestamp columns as the ISO strings JSON turns Dates into. Features `.extend()` it with the fields
 * they compute or reshape.
 */
export function rowJson<T extends Table, K extends keyof T["$inferSelect"] & string>(table: T, keys: readonly K[]) {
  const shape = (createSelectSchema(table) as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  const picked: Record<string, z.ZodType> = {};
  for (const key of keys) {
    const column = shape[key];
    if (!column) throw new Error(`rowJson: no column ${key}`);
    picked[key] = asJson(column);
  }
  return z.object(picked as Record<K, z.ZodType>);
}

/** Dates as ISO strings; uuids as `format: uuid` (zod's own pattern would fill the document with one regex per id). */
function asJson(column: z.ZodType): z.ZodType {
  const def = column.def as { type: string; innerType?: z.ZodType; format?: string };
  if (def.type === "nullable" && def.innerType) return asJson(def.innerType).nullable();
  if (def.type === "date") return timestamp();
  if (def.type === "string" && def.format === "uuid") return z.string().meta({ format: "uuid" });
  return column;
}

/** The JSON list page every cursor-paged `/v1` collection answers. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

const STATUS_DESCRIPTION: Record<number, string> = { 200: "OK", 201: "Created", 202: "Accepted: queued for processing" };

const header = (description: string, schema: JsonSchema = { type: "integer" }) => ({ description, schema });

/** Shared components: the error envelope, its responses and the headers (referenced as `#/components/...`). */
const sharedComponents = {
  schemas: {
    FieldError: {
      type: "object",
      properties: {
        path: { type: "string", description: "The field, dotted (`config.accessToken`), `(body)` for the whole body, or a header name" },
        message: { type: "string", description: "In the request's language (Accept-Language, or the key's organization)" },
      },
      required: ["path", "message"],
      additionalProperties: false,
    },
    Error: {
      type: "object",
      description: "Every error answer: a stable machine `code`, a message for people, and per-field details on 422.",
      properties: {
        error: {
          type: "object",
          properties: {
            code: {
              type: "string",
              description: "Stable: branch on this, not on the message",
              examples: ["validation_failed", "not_found", "rate_limited", "idempotency_key_in_use"],
            },
            message: { type: "string" },
            details: { type: "array", items: { $ref: "#/components/schemas/FieldError" } },
            requestId: { type: "string", description: "Also in the X-Request-Id header; quote it when reporting a problem" },
          },
          required: ["code", "message", "requestId"],
          additionalProperties: false,
        },
      },
      required: ["error"],
      additionalProperties: false,
    },
  },
  headers: {
    "X-RateLimit-Limit": header("Requests this API key may make per minute"),
    "X-RateLimit-Remaining": header("Requests left in the current window"),
    "X-RateLimit-Reset": header("When the window resets, in Unix seconds"),
    "Retry-After": header("Seconds to wait before retrying"),
    "X-Request-Id": header("This request's id (yours when you sent a valid X-Request-Id)", { type: "string" }),
  },
  parameters: {
    IdempotencyKey: {
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description:
        "Makes a retry safe (Stripe's rules): the same key and body answer the first response again (`Idempotent-Replayed: true`), another body is refused with 422 `idempotency_mismatch`, and while the first request is in flight others get 409 `idempotency_key_in_use` with `Retry-After`.",
      schema: { type: "string", minLength: 1, maxLength: 255 },
    },
  },
  responses: {
    BadRequest: errorResponse("Malformed request (unparseable JSON, a malformed id or cookie)"),
    Unauthorized: errorResponse("Missing, invalid, expired or revoked API key", { "WWW-Authenticate": header("`Bearer`", { type: "string" }) }),
    Forbidden: errorResponse("The API key lacks the scope this operation needs"),
    NotFound: errorResponse("No such resource in the key's organization (another organization's ids read as not found)"),
    Conflict: errorResponse("Conflicts with the current state (a duplicate, or an Idempotency-Key still in flight)", { "Retry-After": ref("Retry-After") }),
    PayloadTooLarge: errorResponse("The body is larger than the server accepts"),
    UnsupportedMediaType: errorResponse("The body's Content-Type is not one this operation reads (`application/json` unless it says otherwise)"),
    ValidationFailed: errorResponse("Invalid fields: `details` names each one, in the request's language"),
    RateLimited: errorResponse("Rate limit or daily quota exceeded", { "Retry-After": ref("Retry-After") }),
    ServerError: errorResponse("Internal error (500), the provider failed (502) or the server is busy (503, with Retry-After)", {
      "Retry-After": ref("Retry-After"),
    }),
  },
};

function ref(name: string) {
  return { $ref: `#/components/headers/${name}` };
}

function rateLimitHeaders() {
  return {
    "X-RateLimit-Limit": ref("X-RateLimit-Limit"),
    "X-RateLimit-Remaining": ref("X-RateLimit-Remaining"),
    "X-RateLimit-Reset": ref("X-RateLimit-Reset"),
  };
}

function errorResponse(description: string, headers: Record<string, unknown> = {}): ResponseObject {
  return {
    description,
    headers: { "X-Request-Id": ref("X-Request-Id"), ...rateLimitHeaders(), ...headers },
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** `/v1/contacts/` → `/v1/contacts`: Elysia answers both, the document names one. */
const canonicalPath = (path: string) => (path.length > 1 ? path.replace(/\/+$/, "") : path);

/** `getV1ContactsById`-style ids from the canonical path, unique per operation. */
function operationIdOf(method: string, path: string): string {
  const words = path
    .split("/")
    .filter(Boolean)
    .map((part) =>
      part.startsWith("{")
        ? `By${capital(part.slice(1, -1))}`
        : part
            .split(/[^A-Za-z0-9]+/)
            .map(capital)
            .join(""),
    );
  return method + words.join("");
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Completes the document the openapi plugin generated from the route schemas: one path per route (no
 * trailing-slash twins), `servers`, the shared error responses on every operation, the rate-limit
 * headers on every answer, request bodies as the JSON the API accepts (the shared zod schemas also
 * serve form posts, which `/v1` refuses with 415), and `Idempotency-Key` where the route says
 * `"x-idempotent": true` in its detail. Returns a new document; the input is not changed.
 */
export function completeDocument(generated: Document, serverUrl: string): Document {
  const paths: Document["paths"] = {};
  for (const [rawPath, operations] of Object.entries(generated.paths)) {
    const path = canonicalPath(rawPath);
    const target = paths[path] ?? {};
    paths[path] = target;
    for (const [method, raw] of Object.entries(operations)) {
      if (!METHODS.includes(method) || !raw || raw.hide) continue;
      target[method] = completeOperation(method, path, structuredClone(raw));
    }
  }
  return {
    ...generated,
    servers: [{ url: serverUrl, description: "This LivChat server" }],
    tags: tagsOf(paths, generated.tags),
    paths,
    components: {
      ...generated.components,
      schemas: { ...(generated.components?.schemas ?? {}), ...sharedComponents.schemas },
      headers: sharedComponents.headers,
      parameters: sharedComponents.parameters,
      responses: sharedComponents.responses,
    },
  };
}

function completeOperation(method: string, path: string, op: Operation): Operation {
  const { "x-idempotent": idempotent, ...rest } = op;
  const out: Operation = { ...rest, operationId: operationIdOf(method, path) };
  const content = out.requestBody?.content;
  if (out.requestBody && content) {
    // The plugin offers JSON, urlencoded and multipart for every body a route does not `parse` itself;
    // /v1 reads JSON there (415 otherwise). A route that declares its parser keeps what it declared.
    const pluginDefault = "application/json" in content && "application/x-www-form-urlencoded" in content;
    out.requestBody = { ...out.requestBody, content: pluginDefault ? { "application/json": content["application/json"]! } : content };
    if (!out.requestBody.description) delete out.requestBody.description;
  }
  if (idempotent === true) out.parameters = [...(out.parameters ?? []), { $ref: "#/components/parameters/IdempotencyKey" }];
  const responses: NonNullable<Operation["responses"]> = {};
  for (const [status, response] of Object.entries(out.responses ?? {})) {
    if ("$ref" in response || !status.startsWith("2")) {
      responses[status] = response;
      continue;
    }
    const { description, headers, content } = response;
    responses[status] = {
      description: description.startsWith("Response for status") ? (STATUS_DESCRIPTION[Number(status)] ?? "OK") : description,
      headers: { "X-Request-Id": ref("X-Request-Id"), ...rateLimitHeaders(), ...(headers ?? {}) },
      ...(content ? { content } : {}),
    };
  }
  const hasBody = out.requestBody !== undefined;
  const errors: Record<string, string> = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    ...(path.includes("{") ? { "404": "NotFound" } : {}),
    ...(method === "get" ? {} : { "409": "Conflict" }),
    ...(hasBody ? { "413": "PayloadTooLarge", "415": "UnsupportedMediaType" } : {}),
    "422": "ValidationFailed",
    "429": "RateLimited",
    "5XX": "ServerError",
  };
  for (const [status, name] of Object.entries(errors)) responses[status] ??= { $ref: `#/components/responses/${name}` };
  out.responses = responses;
  return out;
}

/** Every tag an operation uses, declared once at the top (Redocly's `operation-tag-defined`). */
function tagsOf(paths: Document["paths"], declared: Document["tags"] = []): NonNullable<Document["tags"]> {
  const names = new Set(declared.map((t) => t.name));
  const tags = [...declared];
  for (const operations of Object.values(paths))
    for (const op of Object.values(operations))
      for (const tag of op.tags ?? []) {
        if (names.has(tag)) continue;
        names.add(tag);
        tags.push({ name: tag });
      }
  return tags;
}
