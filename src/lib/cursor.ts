import { validationFailed } from "@/lib/errors";
import { isUuid } from "@/lib/ids";

/**
 * Opaque keyset cursors `(sort key, id)` shared by every list. The sort key is Postgres' own text
 * form of a timestamptz so microseconds survive the round trip (a JS Date would truncate them and skip or repeat rows).
 */
export function encodeCursor(sortKey: string, id: string): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString("base64url");
}

/** Postgres' ISO output for timestamptz, e.g. `2026-01-02 03:04:05.123456+00`. */
const TIMESTAMPTZ_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

/** Decodes a cursor from `encodeCursor`; anything else is a 422 on `cursor`, never a SQL error. */
export function decodeCursor(cursor: string): { sortKey: string; id: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === "string" &&
      TIMESTAMPTZ_TEXT.test(parsed[0]) &&
      typeof parsed[1] === "string" &&
      isUuid(parsed[1])
    ) {
      return { sortKey: parsed[0], id: parsed[1] };
    }
  } catch {}
  throw validationFailed([{ path: "cursor", message: "Invalid cursor" }]);
}
