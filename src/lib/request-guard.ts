import { AppError, notFound, validationFailed, type FieldError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";

/** Deeper JSON than any LivChat body needs; Elysia's validation error stringifies the body, which takes seconds (then overflows) at 50k levels. */
export const MAX_BODY_DEPTH = 32;

/** Every `:id` / `:…Id` route param in LivChat is a uuid; anything else names nothing. */
const isIdParam = (name: string) => name === "id" || name.endsWith("Id");

/**
 * Walks a parsed body once: fails when it nests deeper than MAX_BODY_DEPTH, and collects the paths of
 * strings holding a NUL character (Postgres text and jsonb refuse them).
 */
function inspectBody(body: unknown): { tooDeep: boolean; nul: FieldError[] } {
  const nul: FieldError[] = [];
  const stack: [unknown, string, number][] = [[body, "", 0]];
  while (stack.length) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === "string") {
      if (value.includes("\u0000") && nul.length < 20) nul.push({ path: path || "(body)", message: "Must not contain NUL characters" });
      continue;
    }
    if (!value || typeof value !== "object") continue;
    if (depth >= MAX_BODY_DEPTH) return { tooDeep: true, nul };
    for (const [key, child] of Object.entries(value)) stack.push([child, path ? `${path}.${key}` : key, depth + 1]);
  }
  return { tooDeep: false, nul };
}

/**
 * Shape rules every request meets before route validation and handlers see it, so no feature has to
 * repeat them (and none can forget): ids that cannot exist are 404 (not a uuid cast error), a JSON
 * body is an object, bounded in depth, and no string anywhere carries a NUL byte.
 * Provider webhooks (/hooks/*) read their raw bodies themselves and answer with their own statuses.
 */
/** The parts of Elysia's context the guard reads (a global onTransform in app.ts, so it runs before validation). */
type GuardContext = { params?: unknown; query?: unknown; body: unknown; path: string; request: Request };

// Reads the context through `c.x` (not `c` handed on whole) so Elysia's sucrose still infers which parts to parse.
export function guardRequest(c: GuardContext): void {
  const path = c.path;
  const request = c.request;
  if (path.startsWith("/hooks/")) return;
  // for…in, not Object.entries: this runs on every request, and most have no params and no query.
  const params = c.params as Record<string, string | undefined> | undefined;
  for (const name in params) {
    const value = params[name];
    if (value === undefined) continue;
    if (isIdParam(name) ? !isUuid(value) : value.includes("\u0000")) throw notFound();
  }
  const query = c.query as Record<string, unknown> | undefined;
  const badQuery: FieldError[] = [];
  for (const name in query) {
    const value = query[name];
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === "string" && v.includes("\u0000"))) badQuery.push({ path: name, message: "Must not contain NUL characters" });
  }
  if (badQuery.length) throw validationFailed(badQuery);
  if (c.body === undefined) {
    // An admin form posted with no body at all is an empty form: page handlers read fields off an object.
    if (request.method !== "GET" && request.method !== "HEAD" && !path.startsWith("/v1")) c.body = {};
    return;
  }
  const body = c.body;
  const json = request.headers.get("content-type")?.toLowerCase().includes("json") === true;
  if (json && (body === null || typeof body !== "object" || Array.isArray(body))) {
    throw new AppError("bad_request", tText("common:errors.bodyNotObject"));
  }
  const { tooDeep, nul } = inspectBody(body);
  if (tooDeep) throw new AppError("bad_request", tText("common:errors.bodyTooDeep", { count: MAX_BODY_DEPTH }));
  if (nul.length) throw validationFailed(nul);
}

export const payloadTooLarge = (limit: number) => new AppError("payload_too_large", tText("common:errors.payloadTooLarge", { count: limit }));

/** Reads a body stream into memory, refusing with 413 (and reading no further) once it passes `limit` bytes. */
async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Caps a body sent without Content-Length (chunked), which the length check cannot see: its readers
 * count bytes as they arrive and stop with 413 past `limit`, so no one buffers more than that.
 * The readers are replaced on this request object rather than on a copy, because Bun's
 * `server.requestIP()` (client addresses for throttling) knows only the original.
 */
export function capStreamingBody(request: Request, limit: number): void {
  const stream = request.body;
  if (!stream) return;
  let read: Promise<Uint8Array<ArrayBuffer>> | undefined;
  const bytes = () => (read ??= readAtMost(stream, limit));
  const text = async () => new TextDecoder().decode(await bytes());
  const contentType = () => request.headers.get("content-type") ?? "";
  Object.defineProperties(request, {
    bytes: { value: bytes },
    arrayBuffer: { value: async () => (await bytes()).buffer },
    text: { value: text },
    json: { value: async () => JSON.parse(await text()) },
    blob: { value: async () => new Blob([await bytes()], { type: contentType() }) },
    formData: { value: async () => new Response(await bytes(), { headers: { "content-type": contentType() } }).formData() },
  });
}
