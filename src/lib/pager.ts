import { asc, desc, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";

/** One page of any list, API or admin page alike. */
export type Page<T> = { data: T[]; nextCursor: string | null };

/** The order a list is paged in: a timestamptz column, then the row's uuid to break ties. */
export type Keyset = { sortBy: AnyColumn; id: AnyColumn; order?: "asc" | "desc" };

/** What the pager hands a list's query: select `sortKey`, add `after` to the filters, order and limit as given. */
export type PageQuery = { sortKey: SQL<string>; after: SQL | undefined; orderBy: SQL[]; limit: number };

/**
 * Runs one keyset page: rows after the cursor in keyset order, one more than `limit` to know whether
 * another page follows. Every list pages this way, so every `nextCursor` has the same opaque format.
 */
export async function keysetPage<R extends { sortKey: string | null }, T>(
  keyset: Keyset,
  page: { limit: number; cursor?: string | null },
  fetch: (query: PageQuery) => PromiseLike<R[]>,
  item: (row: R) => T,
  idOf: (row: R) => string,
): Promise<Page<T>> {
  const descending = (keyset.order ?? "desc") === "desc";
  const position = page.cursor ? decodeCursor(page.cursor) : undefined;
  const after = position
    ? descending
      ? sql`(${keyset.sortBy}, ${keyset.id}) < (${position.sortKey}::timestamptz, ${position.id}::uuid)`
      : sql`(${keyset.sortBy}, ${keyset.id}) > (${position.sortKey}::timestamptz, ${position.id}::uuid)`
    : undefined;
  const direction = descending ? desc : asc;
  const rows = await fetch({
    sortKey: sql<string>`${keyset.sortBy}::text`,
    after,
    orderBy: [direction(keyset.sortBy), direction(keyset.id)],
    limit: page.limit + 1,
  });
  const data = rows.slice(0, page.limit);
  const last = data.at(-1);
  return {
    data: data.map(item),
    nextCursor: rows.length > page.limit && last?.sortKey ? encodeCursor(last.sortKey, idOf(last)) : null,
  };
}

/**
 * Opaque cursor `(sort key, id)`. The sort key is Postgres' own text form of a timestamptz so
 * microseconds survive the round trip (a JS Date would truncate them and skip or repeat rows).
 */
function encodeCursor(sortKey: string, id: string): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString("base64url");
}

/** Postgres' ISO output for timestamptz, e.g. `2026-01-02 03:04:05.123456+00`. */
const TIMESTAMPTZ_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

function readCursor(cursor: string): { sortKey: string; id: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [sortKey, id] = parsed as unknown[];
      if (typeof sortKey === "string" && TIMESTAMPTZ_TEXT.test(sortKey) && typeof id === "string" && isUuid(id)) return { sortKey, id };
    }
  } catch {}
  return undefined;
}

/** Whether a string is a cursor this pager issued (schemas use it to word their own 422). */
export function isCursor(value: string): boolean {
  return readCursor(value) !== undefined;
}

/** Anything but a cursor from `keysetPage` is a 422 on `cursor`, never a SQL error. */
function decodeCursor(cursor: string): { sortKey: string; id: string } {
  const position = readCursor(cursor);
  if (!position) throw validationFailed([{ path: "cursor", message: tText("common:errors.invalidCursor") }]);
  return position;
}
