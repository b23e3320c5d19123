import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { requireAnyApiKey } from "@/features/instances/instance.api";
import { AppError } from "@/lib/errors";
import { instanceAccess } from "@/lib/tenant";
import { tText } from "@/lib/i18n";
import { ok } from "@/lib/openapi";
import { verifyMediaSignature } from "@/lib/media-url";
import { mediaJsonSchema } from "./media.schema";
import { createUpload, getMedia, mediaJson, storedMediaById, streamMedia, type Media } from "./media.service";

const tags = ["Media"];
const idParams = z.object({ id: z.string() });

/** `/v1/media`: upload a file to send (`media.id` in POST /v1/messages), read any media's state and signed link. */
export const mediaApi = new Elysia({ name: "media-api", prefix: "/v1/media" })
  .use(authPlugin)
  .onTransform(({ request }) => requireAnyApiKey(request))
  .post(
    "/",
    async ({ caller, body, set }) => {
      const row = await createUpload(instanceAccess(caller), (body as Record<string, unknown> | null)?.file);
      set.status = 201;
      return mediaJson(row);
    },
    {
      apiKey: "messages:write",
      // The key first, then the body: a caller without a valid key gets 401 whatever it sent (Elysia
      // parses before transform hooks). JSON is read here too, so that a JSON body is told where the file
      // goes (422 on `file`) instead of a bare 415; a multipart body falls through to the multipart parser
      // (the first parser returning a value wins; "application/json" is listed so the /v1 415 rule admits it).
      parse: [
        async ({ request, contentType }) => {
          await requireAnyApiKey(request);
          if (contentType.startsWith("application/json")) return request.json().catch(() => ({}));
        },
        "multipart/form-data",
        "application/json",
      ],
      detail: {
        tags,
        summary: "Upload media to send",
        description:
          "multipart/form-data with the file in `file` (at most MEDIA_MAX_BYTES). The bytes are hashed (sha256, stored once), their type sniffed and compared with the declared one. Answers the media; send it with `POST /v1/messages` and `media: {id}` instead of `media: {url}`.",
        requestBody: {
          content: { "multipart/form-data": { schema: { type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] } } },
        },
        responses: ok(mediaJsonSchema, 201),
      },
    },
  )
  .get(
    "/:id",
    async ({ caller, params }) => {
      const row = await getMedia(instanceAccess(caller), params.id);
      return mediaJson(row);
    },
    {
      apiKey: "messages:read",
      params: idParams,
      response: { 200: mediaJsonSchema },
      detail: {
        tags,
        summary: "Get media: status and a signed link",
        description:
          "`status`: `pending` (the worker is fetching it; `error` shows the last failed attempt while it retries), `stored`, `failed` (`error` says why) or `expired` (deleted by the organization's retention). A stored file has `url`, signed and valid until `urlExpiresAt` (MEDIA_URL_TTL_SECONDS); ask again for a fresh one. Every change is also sent as a `media.status` event.",
      },
    },
  );

/** Types a browser may render inline from our origin; anything else is served as a download. */
const INLINE = /^(image\/(jpeg|png|gif|webp|avif)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;

function contentHeaders(row: Media): Record<string, string> {
  const mime = row.mimeType ?? "application/octet-stream";
  const inline = INLINE.test(mime);
  const name = row.fileName ?? `${row.id}`;
  return {
    "content-type": inline ? mime : "application/octet-stream",
    "content-disposition": `${inline ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(name)}`,
    ...(row.size !== null ? { "content-length": String(row.size) } : {}),
    // Our own origin serves tenants' files: nothing in them may run or be framed.
    "content-security-policy": "default-src 'none'; sandbox",
    "x-content-type-options": "nosniff",
    "cache-control": "private, max-age=300",
  };
}

/**
 * `GET /media/:id?exp=&sig=`: the bytes behind a signed URL (the inbox's <img>/<audio>, links in API
 * answers and events). The signature is the credential; an expired or wrong one is the same 404 as an
 * unknown id.
 */
export const mediaFiles = new Elysia({ name: "media-files" }).get(
  "/media/:id",
  async ({ params, query }) => {
    const q = query as Record<string, string | undefined>;
    const notFound = () => new AppError("not_found", tText("media:errors.linkExpired"));
    if (!verifyMediaSignature(params.id, q.exp, q.sig)) throw notFound();
    const row = await storedMediaById(params.id);
    if (!row) throw notFound();
    return new Response(streamMedia(row), { headers: contentHeaders(row) });
  },
  { params: idParams, detail: { hide: true } },
);
