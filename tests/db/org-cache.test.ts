import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { db } from "@/db/client";
import { startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { nextOrgChange, orgCached } from "@/db/org-cache";
import { alertSettings, consentSettings } from "@/db/schema";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

// The per-organization settings cache of hot paths (src/db/org-cache.ts): read-through while the process
// listens, evicted by the livchat_org_changed trigger's NOTIFY whoever wrote, expired after its TTL,
// bounded; without the sync every read goes to the database.
let orgA: string;
let orgB: string;
let orgC: string;
const loads: string[] = [];

async function ownKeywords(organizationId: string): Promise<string[]> {
  loads.push(organizationId);
  const [row] = await db.select({ k: consentSettings.optOutKeywords }).from(consentSettings).where(eq(consentSettings.organizationId, organizationId));
  return row?.k ?? [];
}
const keywords = orgCached({ tables: ["consent_settings"], load: ownKeywords });
const countLoads = (organizationId: string) => loads.filter((o) => o === organizationId).length;

beforeAll(async () => {
  const ids = await Promise.all([1, 2, 3].map(async () => (await createOwner()).organization.id));
  [orgA, orgB, orgC] = ids as [string, string, string];
  await db.insert(consentSettings).values({ organizationId: orgA, optOutKeywords: ["ANTES"] });
});
afterAll(() => stopCacheSync());

describe("org cache", () => {
  test("a process that does not listen reads through every time (a write is seen at once)", async () => {
    await stopCacheSync();
    const before = countLoads(orgA);
    expect(await keywords(orgA)).toEqual(["ANTES"]);
    expect(await keywords(orgA)).toEqual(["ANTES"]);
    expect(countLoads(orgA) - before).toBe(2);
  });

  test("listening: read once, then served from memory; concurrent misses share one load", async () => {
    await startCacheSync();
    const before = countLoads(orgA);
    const first = await Promise.all([keywords(orgA), keywords(orgA), keywords(orgA)]);
    expect(first).toEqual([["ANTES"], ["ANTES"], ["ANTES"]]);
    expect(await keywords(orgA)).toEqual(["ANTES"]);
    expect(countLoads(orgA) - before).toBe(1);
  });

  test("a write by another process (psql) evicts the entry through NOTIFY; the other organizations keep theirs", async () => {
    await startCacheSync();
    await keywords(orgA);
    await keywords(orgB);
    const before = { a: countLoads(orgA), b: countLoads(orgB) };
    const heard = nextOrgChange("consent_settings", orgA);
    const psql = Bun.spawn(
      ["psql", process.env.DATABASE_URL!, "-qc", `update consent_settings set opt_out_keywords = '{DEPOIS}' where organization_id = '${orgA}'`],
      { stdout: "ignore", stderr: "pipe" },
    );
    expect(await psql.exited).toBe(0);
    await heard;
    expect(await keywords(orgA)).toEqual(["DEPOIS"]);
    expect(await keywords(orgB)).toEqual([]);
    expect({ a: countLoads(orgA) - before.a, b: countLoads(orgB) - before.b }).toEqual({ a: 1, b: 0 });
  });

  test("a write on another connection of this process is heard the same way (insert and delete too)", async () => {
    await startCacheSync();
    const other = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      expect(await keywords(orgB)).toEqual([]);
      let heard = nextOrgChange("consent_settings", orgB);
      await other`insert into consent_settings (organization_id, opt_out_keywords) values (${orgB}, '{NOVO}')`;
      await heard;
      expect(await keywords(orgB)).toEqual(["NOVO"]);
      heard = nextOrgChange("consent_settings", orgB);
      await other`delete from consent_settings where organization_id = ${orgB}`;
      await heard;
      expect(await keywords(orgB)).toEqual([]);
    } finally {
      await other.end({ timeout: 2 });
    }
  });

  test("a change heard while a load is under way is not hidden by what that load read", async () => {
    await startCacheSync();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    let read = false;
    const slow = orgCached({
      tables: ["consent_settings"],
      load: async (organizationId) => {
        calls++;
        const value = await ownKeywords(organizationId);
        read = true;
        if (calls === 1) await gate;
        return value;
      },
    });
    const pending = slow(orgA);
    // The load has read; the write and its notification land before it returns.
    await waitFor(() => read);
    const heard = nextOrgChange("consent_settings", orgA);
    await db
      .update(consentSettings)
      .set({ optOutKeywords: ["TERCEIRO"] })
      .where(eq(consentSettings.organizationId, orgA));
    await heard;
    release();
    await pending;
    expect(await slow(orgA)).toEqual(["TERCEIRO"]);
    expect(calls).toBe(2);
  });

  test("entries expire after their TTL (a missed notification heals)", async () => {
    await startCacheSync();
    let n = 0;
    const short = orgCached({ tables: ["consent_settings"], ttlMs: 30, load: async () => ++n });
    expect(await short(orgC)).toBe(1);
    expect(await short(orgC)).toBe(1);
    await Bun.sleep(40);
    expect(await short(orgC)).toBe(2);
  });

  test("bounded: past maxEntries the oldest entry goes", async () => {
    await startCacheSync();
    const seen: string[] = [];
    const small = orgCached({
      tables: ["consent_settings"],
      maxEntries: 2,
      load: async (organizationId) => {
        seen.push(organizationId);
        return organizationId;
      },
    });
    await small(orgA);
    await small(orgB);
    await small(orgC);
    await small(orgC);
    await small(orgB);
    expect(seen).toEqual([orgA, orgB, orgC]);
    await small(orgA);
    expect(seen).toEqual([orgA, orgB, orgC, orgA]);
  });

  test("a change of a table the cache does not read leaves it alone; stopping the sync drops everything", async () => {
    await startCacheSync();
    await keywords(orgC);
    const before = countLoads(orgC);
    const heard = nextOrgChange("alert_settings", orgC);
    await db.insert(alertSettings).values({ organizationId: orgC, urgencyKeywords: ["urgente"] });
    await heard;
    await keywords(orgC);
    expect(countLoads(orgC)).toBe(before);
    await stopCacheSync();
    await startCacheSync();
    await keywords(orgC);
    expect(countLoads(orgC)).toBe(before + 1);
  });
});
