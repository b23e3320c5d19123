import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { db } from "@/db/client";
import { AppError } from "@/lib/errors";
import { isCursor, keysetPage, type Page } from "@/lib/pager";

/** A throwaway table in this file's own database: the pager is exercised on real Postgres rows. */
const probes = pgTable("pager_probes", {
  id: uuid("id").primaryKey(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  label: text("label").notNull(),
});

await db.execute(sql`create table pager_probes (id uuid primary key, created_at timestamptz not null, label text not null)`);
// Seven rows inside one millisecond: microseconds apart, and two pairs tied on the timestamp (id breaks the tie).
const at = [
  "2026-01-01 00:00:00.000100+00",
  "2026-01-01 00:00:00.000200+00",
  "2026-01-01 00:00:00.000200+00",
  "2026-01-01 00:00:00.000300+00",
  "2026-01-01 00:00:00.000400+00",
  "2026-01-01 00:00:00.000400+00",
  "2026-01-01 00:00:00.000500+00",
];
for (const [i, createdAt] of at.entries()) {
  await db.execute(sql`insert into pager_probes values (gen_random_uuid(), ${createdAt}::timestamptz, ${`row${i}`})`);
}

async function walk(order: "asc" | "desc", limit: number) {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<{ label: string }> = await keysetPage(
      { sortBy: probes.createdAt, id: probes.id, order },
      { limit, cursor },
      (q) =>
        db
          .select({ probe: probes, sortKey: q.sortKey })
          .from(probes)
          .where(q.after)
          .orderBy(...q.orderBy)
          .limit(q.limit),
      (r) => r.probe,
      (r) => r.probe.id,
    );
    seen.push(...page.data.map((p) => p.label));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { seen, pages };
}

describe("keysetPage", () => {
  test("walks every row exactly once, in order, with microsecond timestamps and ties", async () => {
    const all = await db.execute<{ label: string }>(sql`select label from pager_probes order by created_at desc, id desc`);
    const expected = [...all].map((r) => r.label);
    for (const limit of [1, 2, 3, 7, 50]) {
      const desc = await walk("desc", limit);
      expect(desc.seen).toEqual(expected);
      expect(desc.pages).toBe(Math.max(1, Math.ceil(7 / limit)));
      expect((await walk("asc", limit)).seen).toEqual([...expected].reverse());
    }
  });

  test("a cursor is opaque; anything else is a 422 on cursor, never SQL", async () => {
    const first = await keysetPage(
      { sortBy: probes.createdAt, id: probes.id },
      { limit: 1 },
      (q) =>
        db
          .select({ probe: probes, sortKey: q.sortKey })
          .from(probes)
          .where(q.after)
          .orderBy(...q.orderBy)
          .limit(q.limit),
      (r) => r.probe,
      (r) => r.probe.id,
    );
    expect(isCursor(first.nextCursor!)).toBe(true);
    expect(first.nextCursor).not.toContain(first.data[0]!.id);
    const garbage = ["x", first.data[0]!.id, Buffer.from(JSON.stringify(["2024-99-99", "not-a-uuid"])).toString("base64url")];
    for (const cursor of garbage) {
      expect(isCursor(cursor)).toBe(false);
      const refused = await keysetPage(
        { sortBy: probes.createdAt, id: probes.id },
        { limit: 1, cursor },
        () => Promise.resolve([]),
        (r) => r,
        () => "",
      ).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).code).toBe("validation_failed");
    }
  });
});
