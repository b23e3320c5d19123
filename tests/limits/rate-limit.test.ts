import { afterAll, describe, expect, test } from "bun:test";
import { evaluateWindow, MemoryRateLimiter, RedisRateLimiter } from "@/features/limits/rate-limit";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const unique = () => `test:${crypto.randomUUID()}`;

describe("MemoryRateLimiter (two-bucket sliding window)", () => {
  test("allows `limit` requests per window, then refuses with Retry-After", async () => {
    const now = 1_000_000 * 60_000 + 10_000; // 10 s into a window
    const limiter = new MemoryRateLimiter(() => now);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limiter.hit("k", 3));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(results[3]!.retryAfter).toBeGreaterThan(0);
    expect(results[3]!.resetAt).toBe(Math.ceil((1_000_000 * 60_000 + 60_000) / 1000));
    // Other keys have their own budget.
    expect((await limiter.hit("other", 3)).allowed).toBe(true);
  });

  test("the previous window still counts, weighted by how much of it is inside the sliding window", async () => {
    const start = 2_000_000 * 60_000;
    let now = start + 59_000;
    const limiter = new MemoryRateLimiter(() => now);
    for (let i = 0; i < 10; i++) expect((await limiter.hit("k", 10)).allowed).toBe(true);
    // 1 s into the next window: 10 × 59/60 ≈ 9.8 of the last minute's requests still count, so a
    // fixed-window limiter would allow 10 more here; the sliding window allows none.
    now = start + 60_000 + 1_000;
    const refused = await limiter.hit("k", 10);
    expect(refused.allowed).toBe(false);
    // Retry-After points at the moment one slot has slid out (10 × (1 - t/60) ≤ 9 → t ≥ 6 s): 5 s from now.
    expect(refused.retryAfter).toBe(5);
    now = start + 60_000 + 6_000;
    expect((await limiter.hit("k", 10)).allowed).toBe(true);
    expect((await limiter.hit("k", 10)).allowed).toBe(false);
    // Half-way through, half of the old window has slid out.
    now = start + 60_000 + 30_000;
    const half = [];
    for (let i = 0; i < 6; i++) half.push((await limiter.hit("k", 10)).allowed);
    expect(half.filter(Boolean).length).toBe(4); // 5 + 1 already used → 4 more
    // Two windows later everything has expired.
    now = start + 3 * 60_000;
    expect((await limiter.hit("k", 10)).remaining).toBe(9);
  });

  test("idle keys are swept", async () => {
    let now = 3_000_000 * 60_000;
    const limiter = new MemoryRateLimiter(() => now);
    for (let i = 0; i < 100; i++) await limiter.hit(`k${i}`, 5);
    expect(limiter.size).toBe(100);
    now += 3 * 60_000;
    await limiter.hit("fresh", 5);
    expect(limiter.size).toBe(1);
  });

  test("evaluateWindow: a full current window waits for the next window", () => {
    const r = evaluateWindow({ allowed: false, previous: 0, current: 10, elapsed: 20_000, windowStart: 0, windowMs: 60_000, limit: 10 });
    // 40 s to the window end, then 10 × (1 - t/60) ≤ 9 → 6 s more.
    expect(r.retryAfter).toBe(46);
    expect(r.remaining).toBe(0);
  });
});

describe("RedisRateLimiter", () => {
  const limiters: RedisRateLimiter[] = [];
  afterAll(async () => {
    for (const l of limiters) await l.close();
  });

  test("two limiters with their own connections share one budget, atomically", async () => {
    const a = new RedisRateLimiter(REDIS_URL);
    const b = new RedisRateLimiter(REDIS_URL);
    limiters.push(a, b);
    const key = unique();
    // 40 concurrent hits spread over two clients against a limit of 25.
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).hit(key, 25)));
    expect(results.filter((r) => r.allowed).length).toBe(25);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.remaining).toBe(0);
    expect(refused.limit).toBe(25);
  });

  test("an unreachable Redis falls back to the per-process limiter instead of failing requests", async () => {
    const down = new RedisRateLimiter("redis://127.0.0.1:1", "livchat:rl:", 300);
    limiters.push(down);
    const key = unique();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await down.hit(key, 3));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
  });
});
