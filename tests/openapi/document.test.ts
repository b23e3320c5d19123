import { expect, test } from "bun:test";
import { createApp } from "@/app";

/**
 * The document's completeness, checked against the app's own routes: every `/v1` operation a feature
 * mounts (now or later) is there once, with a summary, a tag, its 2xx body and the shared errors.
 */

type Operation = {
  summary?: string;
  tags?: string[];
  operationId?: string;
  parameters?: { $ref?: string; name?: string }[];
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
};
type Doc = {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, unknown>; headers: Record<string, unknown>; parameters: Record<string, unknown>; schemas: Record<string, unknown> };
};

const app = createApp();

test("/openapi.json documents every /v1 operation completely", async () => {
  const doc = (await (await app.handle(new Request("http://localhost/openapi.json"))).json()) as Doc;
  const problems: string[] = [];

  expect(doc.servers?.[0]?.url).toBe("http://localhost:3000");
  expect(Object.keys(doc.components.responses).sort()).toEqual(
    [
      "BadRequest",
      "Conflict",
      "Forbidden",
      "NotFound",
      "PayloadTooLarge",
      "RateLimited",
      "ServerError",
      "Unauthorized",
      "UnsupportedMediaType",
      "ValidationFailed",
    ].sort(),
  );
  expect(Object.keys(doc.components.headers)).toEqual(
    expect.arrayContaining(["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]),
  );

  // Every /v1 route the app answers is in the document once, under its canonical path (no trailing-slash twin).
  const routes = app.routes.filter((r) => r.path.startsWith("/v1/") && !(r.hooks as { detail?: { hide?: boolean } }).detail?.hide);
  for (const route of routes) {
    const path = route.path.replace(/\/+$/, "").replace(/:([^/]+)/g, "{$1}");
    if (!doc.paths[path]?.[route.method.toLowerCase()]) problems.push(`${route.method} ${route.path} is not documented as ${path}`);
  }
  for (const path of Object.keys(doc.paths)) if (path.endsWith("/")) problems.push(`trailing slash: ${path}`);

  const declaredTags = new Set((doc.tags ?? []).map((t) => t.name));
  // Every tag is described (api-reference.ts declares them; Redocly's tag-description rule).
  for (const tag of doc.tags ?? []) if (!tag.description) problems.push(`tag ${tag.name} has no description (src/lib/api-reference.ts)`);
  const operationIds = new Set<string>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.summary) problems.push(`${where}: no summary`);
      if (!op.tags?.length) problems.push(`${where}: no tag`);
      for (const tag of op.tags ?? []) if (!declaredTags.has(tag)) problems.push(`${where}: tag ${tag} not declared`);
      if (!op.operationId || operationIds.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} missing or repeated`);
      operationIds.add(op.operationId ?? "");
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith("2"));
      if (success.length === 0) problems.push(`${where}: no 2xx response`);
      for (const [status, response] of success) {
        // JSON, a Server-Sent Events stream (GET /v1/events/stream, a thread's streamed reply), or a CSV export.
        const body = response.content?.["application/json"] ?? response.content?.["text/event-stream"] ?? response.content?.["text/csv"];
        if (status !== "204" && !body?.schema) problems.push(`${where}: ${status} has no body schema`);
        if (!response.headers?.["X-RateLimit-Limit"]) problems.push(`${where}: ${status} without X-RateLimit headers`);
      }
      for (const status of ["401", "403", "422", "429", "5XX"]) if (!op.responses[status]?.$ref) problems.push(`${where}: no shared ${status}`);
      if (path.includes("{") && !op.responses["404"]) problems.push(`${where}: no 404`);
      if (method !== "get" && !op.responses["409"]) problems.push(`${where}: no 409`);
      const types = Object.keys(op.requestBody?.content ?? {});
      if (op.requestBody && (types.length === 0 || types.includes("application/x-www-form-urlencoded"))) problems.push(`${where}: request body types ${types}`);
    }
  }
  expect(problems).toEqual([]);

  // Sending a message documents the Idempotency-Key header.
  expect(doc.paths["/v1/messages"]?.post?.parameters).toContainEqual({ $ref: "#/components/parameters/IdempotencyKey" });
  // A route that declares its own parser (an upload) keeps its body type; every other body is JSON.
  expect(Object.keys(doc.paths["/v1/contacts"]?.post?.requestBody?.content ?? {})).toEqual(["application/json"]);
  expect(Object.keys(doc.paths["/v1/media"]?.post?.requestBody?.content ?? {})).toEqual(["multipart/form-data"]);
});
