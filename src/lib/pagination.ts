import { AppError } from "./errors";

/** Keyset cursor over (timestamp, id): opaque base64url for clients, stable under concurrent inserts. */
export type Cursor = { at: Date; id: string };

export function encodeCursor(row: { at: Date; id: string }): string {
  return Buffer.from(`${row.at.toISOString()}|${row.id}`).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) return undefined;
  const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const at = new Date(iso ?? "");
  if (!id || Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new AppError("validation_failed", "Invalid cursor", [{ path: "cursor", message: "Invalid cursor" }]);
  }
  return { at, id };
}

/** `{data, nextCursor}` from a page fetched with limit + 1 rows. */
export function page<T>(rows: T[], limit: number, key: (row: T) => { at: Date; id: string }) {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}
