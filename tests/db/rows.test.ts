import { describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { db, rowsOf } from "@/db/client";
import { rowReader } from "@/db/rows";
import { contacts, events } from "@/db/schema";
import { createOwner } from "../helpers/factories";

describe("rowReader", () => {
  test("rows returned by hand-written SQL read exactly like the query builder's", async () => {
    const { organization } = await createOwner();
    const raw = rowsOf<Record<string, unknown>>(
      await db.execute(sql`
        insert into contacts (organization_id, phone, name, tags, metadata, last_interaction_at)
        values (${organization.id}, '+5511999990000', 'Ana', '{vip,lead}', '{"plan":"gold","n":2}'::jsonb, '2026-01-02T03:04:05.678Z')
        returning *, (xmax = 0) as created`),
    );
    const read = rowReader(contacts)(raw[0]!);
    const [built] = await db.select().from(contacts).where(eq(contacts.id, read.id));
    expect(read).toEqual(built!);
    expect(read.lastInteractionAt).toBeInstanceOf(Date);
    expect(read.lastInteractionAt!.toISOString()).toBe("2026-01-02T03:04:05.678Z");
    expect(read.metadata).toEqual({ plan: "gold", n: 2 });
    expect(read.tags).toEqual(["vip", "lead"]);
    expect(read.optedOut).toBe(false);
    // Columns outside the table (here the upsert's `created`) are not copied over.
    expect("created" in read).toBe(false);
  });

  test("nulls stay null and custom columns (xid8) keep their driver value", async () => {
    const raw = rowsOf<Record<string, unknown>>(await db.execute(sql`insert into events (type, data) values ('instance.qr', '{}'::jsonb) returning *`));
    const read = rowReader(events)(raw[0]!);
    const [built] = await db.select().from(events).where(eq(events.id, read.id));
    expect(read).toEqual(built!);
    expect(read.organizationId).toBeNull();
    expect(typeof read.txId).toBe("string");
  });
});
