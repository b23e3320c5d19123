import { describe, expect, test } from "bun:test";
import { groupCommit } from "@/lib/group-commit";

// One turn of the event loop: the write is asynchronous without waiting on the clock.
const tick = () => new Promise((r) => setImmediate(r));

describe("groupCommit", () => {
  test("a lone item is written at once; items arriving during a write share the next one", async () => {
    const batches: number[][] = [];
    const write = async (items: number[]) => {
      batches.push(items);
      await tick();
      return items.map((n) => n * 10);
    };
    const submit = groupCommit(write, { maxBatch: 100, maxConcurrent: 1 });
    expect(await submit(1)).toBe(10);
    await tick(); // the writer is idle again
    const results = await Promise.all([2, 3, 4, 5].map((n) => submit(n)));
    expect(results).toEqual([20, 30, 40, 50]);
    // 2 goes alone (the queue was idle), 3–5 arrived while it was written and go together.
    expect(batches).toEqual([[1], [2], [3, 4, 5]]);
  });

  test("batches never exceed maxBatch and at most maxConcurrent writes run at once", async () => {
    let running = 0;
    let peak = 0;
    const sizes: number[] = [];
    const submit = groupCommit(
      async (items: number[]) => {
        running++;
        peak = Math.max(peak, running);
        sizes.push(items.length);
        await tick();
        running--;
        return items;
      },
      { maxBatch: 4, maxConcurrent: 2 },
    );
    const all = Array.from({ length: 30 }, (_, i) => i);
    expect(await Promise.all(all.map((n) => submit(n)))).toEqual(all);
    expect(peak).toBe(2);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30);
  });

  test("a failing batch is retried item by item: only the bad item's caller sees the error", async () => {
    const submit = groupCommit(
      async (items: string[]) => {
        await tick();
        if (items.includes("bad")) throw new Error("constraint violated");
        return items.map((s) => s.toUpperCase());
      },
      { maxBatch: 10, maxConcurrent: 1 },
    );
    const first = submit("first"); // occupies the writer so the next three form one batch
    const outcomes = await Promise.allSettled([submit("a"), submit("bad"), submit("b")]);
    expect(await first).toBe("FIRST");
    expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message))).toEqual(["A", "constraint violated", "B"]);
  });
});
