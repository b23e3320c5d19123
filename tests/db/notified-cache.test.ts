import { afterAll, describe, expect, setSystemTime, test } from "bun:test";
import { notify } from "@/db/client";
import { evictionChannel, startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { gate, waitFor } from "../helpers/wait";

// The per-process read-through cache both the org settings and the instance lookup are built on
// (src/db/notified-cache.ts), on a channel of its own: evicted by value through NOTIFY, misses left out,
// a load racing an eviction not stored, caching only while the channel is listened to. The API key
// verdicts' shape (peeked synchronously, null kept, TTL by value, cached even unheard) has a cache below.
type Row = { id: string; name: string };
const CHANNEL = "test_notified_cache";
const heard: string[] = [];
const rows = evictionChannel(CHANNEL, (id) => {
  cache.evictWhere((row) => row?.id === id);
  heard.push(id);
});
const cache = rows.cache<Row | undefined>({ keep: (row) => row !== undefined });

const table = new Map<string, Row>();
const loads: string[] = [];
const read = (key: string, id: string) =>
  cache.get(key, async () => {
    loads.push(key);
    return table.get(id);
  });
const loadsOf = (key: string) => loads.filter((k) => k === key).length;

const VERDICTS = "test_notified_cache_verdicts";
const verdicts = evictionChannel(VERDICTS, (key) => verdicts.evict(key)).cache<string | null>({
  ttlMs: (verdict) => (verdict === null ? 5_000 : 60_000),
  evenWhenNotListening: true,
});
const verdictLoads: string[] = [];
const verdict = (key: string, value: string | null) =>
  verdicts.get(key, async () => {
    verdictLoads.push(key);
    return value;
  });

/** Changes a row and waits until this process heard its NOTIFY (as the instances trigger would send it). */
async function change(row: Row): Promise<void> {
  table.set(row.id, row);
  const before = heard.length;
  await notify(CHANNEL, row.id);
  await waitFor(() => heard.length > before);
}

afterAll(() => stopCacheSync());

describe("notified cache", () => {
  test("not listening: every read loads", async () => {
    table.set("a", { id: "a", name: "A" });
    await read("x:a", "a");
    await read("x:a", "a");
    expect(loadsOf("x:a")).toBe(2);
  });

  test("listening: one load, then memory; a notification evicts every key that holds the row, and only those", async () => {
    await startCacheSync();
    table.set("b", { id: "b", name: "B" });
    for (const key of ["x:a", "y:a", "x:b"]) await read(key, key.slice(2));
    for (const key of ["x:a", "y:a", "x:b"]) await read(key, key.slice(2));
    const before = { xa: loadsOf("x:a"), ya: loadsOf("y:a"), xb: loadsOf("x:b") };
    await change({ id: "a", name: "A2" });
    expect((await read("x:a", "a"))?.name).toBe("A2");
    expect((await read("y:a", "a"))?.name).toBe("A2");
    expect((await read("x:b", "b"))?.name).toBe("B");
    expect({ xa: loadsOf("x:a") - before.xa, ya: loadsOf("y:a") - before.ya, xb: loadsOf("x:b") - before.xb }).toEqual({ xa: 1, ya: 1, xb: 0 });
  });

  test("a miss is not cached: a row created next is found at once", async () => {
    await startCacheSync();
    expect(await read("x:c", "c")).toBeUndefined();
    table.set("c", { id: "c", name: "C" });
    expect((await read("x:c", "c"))?.name).toBe("C");
  });

  test("a change heard while a load is under way is not hidden by what that load read", async () => {
    await startCacheSync();
    table.set("d", { id: "d", name: "D" });
    const held = gate();
    let loaded = false;
    const pending = cache.get("x:d", async () => {
      const row = table.get("d");
      loaded = true;
      await held.wait;
      return row;
    });
    await waitFor(() => loaded);
    await change({ id: "d", name: "D2" });
    held.open();
    expect((await pending)?.name).toBe("D");
    expect((await read("x:d", "d"))?.name).toBe("D2");
  });

  test("stopping drops everything and reads go to the source again; a channel declared later is listened to by the next start", async () => {
    await startCacheSync();
    await read("x:b", "b");
    await stopCacheSync();
    const before = loadsOf("x:b");
    await read("x:b", "b");
    await read("x:b", "b");
    expect(loadsOf("x:b") - before).toBe(2);

    const late: string[] = [];
    evictionChannel("test_notified_cache_late", (payload) => late.push(payload));
    await startCacheSync();
    await notify("test_notified_cache_late", "hello");
    await waitFor(() => late.length > 0);
    expect(late).toEqual(["hello"]);
  });

  test("peek answers from memory only and never loads; nothing is peeked while a listening-only cache is not listened to", async () => {
    await stopCacheSync();
    await read("x:a", "a");
    expect(cache.peek("x:a")).toBeUndefined();
    await startCacheSync();
    expect(cache.peek("x:a")).toBeUndefined();
    await read("x:a", "a");
    const before = loadsOf("x:a");
    expect(cache.peek("x:a")?.id).toBe("a");
    expect(loadsOf("x:a")).toBe(before);
  });
});

describe("notified cache that caches even when not listening (API key verdicts)", () => {
  test("a null verdict is kept; each entry lives as long as its value asks", async () => {
    await stopCacheSync();
    expect(verdicts.peek("good")).toBeUndefined();
    expect(await verdict("good", "G")).toBe("G");
    expect(await verdict("bad", null)).toBeNull();
    expect(await verdict("bad", "changed")).toBeNull();
    expect(verdicts.peek("good")).toBe("G");
    expect(verdicts.peek("bad")).toBeNull();
    expect(verdictLoads).toEqual(["good", "bad"]);
    const now = Date.now();
    try {
      setSystemTime(new Date(now + 5_001));
      expect(verdicts.peek("bad")).toBeUndefined();
      expect(verdicts.peek("good")).toBe("G");
      setSystemTime(new Date(now + 60_001));
      expect(verdicts.peek("good")).toBeUndefined();
    } finally {
      setSystemTime();
    }
  });

  test("listening, a notification evicts an entry; stopping drops them all", async () => {
    await startCacheSync();
    await verdict("k", "K");
    await verdict("other", "O");
    await notify(VERDICTS, "k");
    await waitFor(() => verdicts.peek("k") === undefined);
    expect(verdicts.peek("other")).toBe("O");
    await stopCacheSync();
    expect(verdicts.peek("other")).toBeUndefined();
  });
});
