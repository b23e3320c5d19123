import { validationFailed } from "@/lib/errors";

/**
 * Keyset cursors `(createdAt, id)` for instance lists. The timestamp travels as Postgres' own text form
 * of the timestamptz, so microseconds survive (a JS Date would truncate them and skip or repeat rows).
 */
export function encodeCursor(sortKey: string, id: string): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString("base64url");
}

const TIMESTAMPTZ_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Anything but a cursor we issued is a 422 on `cursor`, never a SQL error. */
export function decodeCursor(cursor: string): { sortKey: string; id: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && TIMESTAMPTZ_TEXT.test(String(parsed[0])) && UUID.test(String(parsed[1]))) {
      return { sortKey: String(parsed[0]), id: String(parsed[1]) };
    }
  } catch {}
  throw validationFailed([{ path: "cursor", message: "Invalid cursor" }]);
}

/** True for a syntactically valid uuid: services answer 404 for anything else instead of a cast error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
