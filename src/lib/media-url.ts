import { config } from "@/config";
import { macOf, safeEqual } from "@/lib/crypto";
import { pathOf } from "@/lib/http-semantics";

/**
 * Short-lived signed URLs of stored media (`/media/<id>?exp=<unix s>&sig=<hmac>`): an HMAC under the
 * app secret of the id and the expiry, so a link works without a session or key (an <img>, a webhook
 * consumer, a provider fetching an upload) and stops working after MEDIA_URL_TTL_SECONDS. Pure (no
 * database): the inbox views, message JSON and events sign ids they already hold.
 */

const PURPOSE = "media-url";

function signature(id: string, exp: number): string {
  return macOf(PURPOSE, `${id}.${exp}`);
}

/** The same-origin path, valid `ttlSeconds` from `now` (the inbox uses it as is). */
export function signedMediaPath(id: string, opts: { now?: Date; ttlSeconds?: number } = {}): { path: string; expiresAt: Date } {
  const now = opts.now ?? new Date();
  const exp = Math.floor(now.getTime() / 1000) + (opts.ttlSeconds ?? config.media.urlTtlSeconds);
  return { path: `/media/${id}?exp=${exp}&sig=${signature(id, exp)}`, expiresAt: new Date(exp * 1000) };
}

/** The absolute URL (APP_URL) for API answers and events. */
export function signedMediaUrl(id: string, opts: { now?: Date; ttlSeconds?: number } = {}): { url: string; expiresAt: Date } {
  const { path, expiresAt } = signedMediaPath(id, opts);
  return { url: `${config.appUrl}${path}`, expiresAt };
}

/** Whether `sig` signs `id` until `exp` and `exp` has not passed. */
export function verifyMediaSignature(id: string, exp: string | undefined, sig: string | undefined, now = new Date()): boolean {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return false;
  const expires = Number(exp);
  if (expires * 1000 <= now.getTime()) return false;
  return safeEqual(signature(id, expires), sig);
}

/** Room for a multipart body's boundaries and other fields (a caption, the reply text) beside the file. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** A contact CSV import's file (contacts/contact-import.service.ts): stored in chunks as it is read, so it may exceed media's limit. */
export const CONTACT_IMPORT_MAX_BYTES = 50 * 1024 * 1024;

const isContactImportPath = (path: string) => path === "/v1/contact-imports" || path === "/contacts/import";

/**
 * The body limit of requests that carry a file: `POST /v1/media`, the inbox's reply with an attachment and
 * knowledge documents (media's limit), contact CSV imports (their own); without a URL, the largest of them.
 */
export function uploadBodyLimit(url?: string): number {
  const media = config.media.maxBytes + MULTIPART_OVERHEAD;
  const contactImport = CONTACT_IMPORT_MAX_BYTES + MULTIPART_OVERHEAD;
  if (url === undefined) return Math.max(media, contactImport);
  return isContactImportPath(pathOf(url)) ? contactImport : media;
}

/** Whether a request URL is one of the upload routes (`pathOf` does not parse the URL: this runs on every request with a body). */
export function isUploadUrl(url: string): boolean {
  const path = pathOf(url);
  return (
    path === "/v1/media" ||
    path === "/v1/media/" ||
    /^\/inbox\/[0-9a-f-]{36}\/reply$/.test(path) ||
    // Knowledge base uploads (a document up to 10 MB).
    /^(\/v1)?\/knowledge\/collections\/[0-9a-f-]{36}\/documents$/.test(path) ||
    // Contact CSV imports (up to 50 MB).
    isContactImportPath(path)
  );
}

/** A size for people: 512 B, 1.5 KB, 16.0 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
