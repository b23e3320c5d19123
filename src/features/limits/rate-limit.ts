import { RedisClient } from "bun";
import { config } from "@/config";
import { log } from "@/lib/logger";

/**
 * Sliding-window rate limiting with the two-bucket weighted counter (the approach Cloudflare and
 * Upstash use): the request rate over the last window is estimated as
 *   previousWindowCount × (share of the previous window still inside the sliding window) + currentWindowCount.
 * It needs two integers per key instead of a log of timestamps, never lets a burst at a window edge
 * double the budget the way a fixed window does, and is exact enough for API quotas.
 *
 * Backends: in-process by default; Redis when `REDIS_URL` is set so every process shares one budget.
 * Redis is reached through Bun's built-in `RedisClient`: no dependency to install, native RESP with
 * automatic pipelining and reconnection, and `send()` gives us EVALSHA for the atomic Lua step.
 */

export type RateLimitResult = {
  allowed: boolean;
  limit: number;
  /** Requests still allowed right now (after this one, when it was allowed). */
  remaining: number;
  /** Unix time (seconds) at which the current window ends and the counter rolls over. */
  resetAt: number;
  /** Seconds until a request would be allowed again; 0 when allowed. */
  retryAfter: number;
};

export interface RateLimiter {
  readonly kind: "memory" | "redis";
  /**
   * Counts one request for `key` against `limit` per `windowMs` unless that would exceed it. The
   * in-process limiter answers synchronously, so the cached /v1 path does not pay for a promise.
   */
  hit(key: string, limit: number, windowMs?: number): RateLimitResult | Promise<RateLimitResult>;
  close(): Promise<void>;
}

export const MINUTE_MS = 60_000;

/**
 * The decision shared by both backends, from the two bucket counts after this request was (or was not)
 * added. `elapsed` is how far into the current window we are, in ms.
 */
export function evaluateWindow(input: {
  allowed: boolean;
  previous: number;
  current: number;
  elapsed: number;
  windowStart: number;
  windowMs: number;
  limit: number;
}): RateLimitResult {
  const { allowed, previous, current, elapsed, windowStart, windowMs, limit } = input;
  const weight = (windowMs - elapsed) / windowMs;
  const estimate = previous * weight + current;
  const remaining = Math.max(0, Math.floor(limit - estimate));
  const resetAt = Math.ceil((windowStart + windowMs) / 1000);
  if (allowed) return { allowed, limit, remaining, resetAt, retryAfter: 0 };
  // When does the estimate drop below limit - 1 so one more request fits?
  let waitMs: number;
  if (current + 1 <= limit && previous > 0) {
    // Still in this window: wait until enough of the previous bucket has slid out.
    const neededWeight = (limit - 1 - current) / previous;
    waitMs = windowMs * (1 - neededWeight) - elapsed;
  } else {
    // Wait for the next window, where this window's count becomes the sliding previous bucket.
    const neededWeight = current > 0 ? (limit - 1) / current : 1;
    waitMs = windowMs - elapsed + Math.max(0, windowMs * (1 - neededWeight));
  }
  return { allowed, limit, remaining: 0, resetAt, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) };
}

type Buckets = { window: number; current: number; previous: number };

/** One process's budget: bucket pairs per window length and key, swept so idle keys do not accumulate. */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = "memory" as const;
  // One map per window length: the caller's key is looked up as it is, not concatenated per request.
  private readonly windows = new Map<number, Map<string, Buckets>>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = Date.now) {}

  hit(key: string, limit: number, windowMs = MINUTE_MS): RateLimitResult {
    const now = this.now();
    const index = Math.floor(now / windowMs);
    this.sweep(now, windowMs);
    let buckets = this.windows.get(windowMs);
    if (!buckets) {
      buckets = new Map();
      this.windows.set(windowMs, buckets);
    }
    let b = buckets.get(key);
    if (!b) {
      b = { window: index, current: 0, previous: 0 };
      buckets.set(key, b);
    }
    if (b.window !== index) {
      b.previous = b.window === index - 1 ? b.current : 0;
      b.current = 0;
      b.window = index;
    }
    const windowStart = index * windowMs;
    const elapsed = now - windowStart;
    const estimate = (b.previous * (windowMs - elapsed)) / windowMs + b.current;
    const allowed = estimate + 1 <= limit;
    if (allowed) b.current += 1;
    return evaluateWindow({ allowed, previous: b.previous, current: b.current, elapsed, windowStart, windowMs, limit });
  }

  /** Drops keys idle for two windows, at most once a window. */
  private sweep(now: number, windowMs: number) {
    if (now - this.lastSweep < windowMs) return;
    this.lastSweep = now;
    for (const [length, buckets] of this.windows) {
      const index = Math.floor(now / length);
      for (const [k, b] of buckets) if (b.window < index - 1) buckets.delete(k);
    }
  }

  get size() {
    let n = 0;
    for (const buckets of this.windows.values()) n += buckets.size;
    return n;
  }

  async close() {
    this.windows.clear();
  }
}

/**
 * One hash per key (`w` window index, `c` current count, `p` previous count), read and updated in one
 * Lua script so concurrent processes cannot both take the last slot. The clock is Redis's own `TIME`,
 * so processes with skewed clocks still agree on the window.
 */
const SLIDING_WINDOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local index = math.floor(now / windowMs)
local h = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w = tonumber(h[1]) or index
local c = tonumber(h[2]) or 0
local p = tonumber(h[3]) or 0
if w ~= index then
  if w == index - 1 then p = c else p = 0 end
  c = 0
end
local elapsed = now - index * windowMs
local estimate = p * (windowMs - elapsed) / windowMs + c
local allowed = 0
if estimate + 1 <= limit then
  c = c + 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'w', index, 'c', c, 'p', p)
redis.call('PEXPIRE', KEYS[1], windowMs * 2)
return {allowed, c, p, elapsed, index}
`;
const SLIDING_WINDOW_SHA = new Bun.CryptoHasher("sha1").update(SLIDING_WINDOW_LUA).digest("hex");

/**
 * The shared budget. If Redis is unreachable the request is judged by a per-process fallback limiter
 * rather than failing open (no limit at all) or failing closed (an outage of Redis taking the API down).
 */
export class RedisRateLimiter implements RateLimiter {
  readonly kind = "redis" as const;
  private client: RedisClient | undefined;
  private connecting: Promise<RedisClient> | undefined;
  private failedAt = 0;
  private readonly fallback = new MemoryRateLimiter();
  private lastWarning = 0;

  constructor(
    private readonly url: string,
    private readonly prefix = "livchat:rl:",
    private readonly timeoutMs = 1_000,
  ) {}

  async hit(key: string, limit: number, windowMs = MINUTE_MS): Promise<RateLimitResult> {
    try {
      const reply = (await this.eval(`${this.prefix}{${key}}`, windowMs, limit)) as number[];
      const [allowed, current, previous, elapsed, index] = reply.map(Number) as [number, number, number, number, number];
      return evaluateWindow({ allowed: allowed === 1, previous, current, elapsed, windowStart: index * windowMs, windowMs, limit });
    } catch (err) {
      if (Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        log.warn("redis rate limiter unavailable; using the per-process limiter", { err });
      }
      return this.fallback.hit(key, limit, windowMs);
    }
  }

  /**
   * Connects on first use. Bun's client would otherwise either queue commands while Redis is down
   * (requests hang) or retry connecting forever; we connect explicitly, give up fast, and retry at
   * most once a second so an outage costs each request nothing but the fallback.
   */
  private async connection(): Promise<RedisClient> {
    if (this.client?.connected) return this.client;
    if (this.connecting) return this.connecting;
    if (Date.now() - this.failedAt < 1_000) throw new Error("redis unavailable (backing off)");
    this.client?.close();
    this.client = undefined;
    const client = new RedisClient(this.url, {
      connectionTimeout: this.timeoutMs,
      autoReconnect: false,
      enableOfflineQueue: false,
    });
    this.connecting = client
      .connect()
      .then(() => (this.client = client))
      .catch((err) => {
        this.failedAt = Date.now();
        client.close();
        throw err;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async eval(redisKey: string, windowMs: number, limit: number): Promise<unknown> {
    const client = await this.connection();
    const args = ["1", redisKey, String(windowMs), String(limit)];
    const withTimeout = <T>(p: Promise<T>) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("redis command timed out")), this.timeoutMs);
      });
      return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
    };
    try {
      return await withTimeout(client.send("EVALSHA", [SLIDING_WINDOW_SHA, ...args]));
    } catch (err) {
      // First call on this Redis (or after a SCRIPT FLUSH): EVAL loads and caches the script.
      if (String(err).includes("NOSCRIPT")) return withTimeout(client.send("EVAL", [SLIDING_WINDOW_LUA, ...args]));
      throw err;
    }
  }

  async close() {
    await this.connecting?.catch(() => {});
    this.client?.close();
    this.client = undefined;
    await this.fallback.close();
  }
}

let shared: { url: string | undefined; limiter: RateLimiter } | undefined;

/** The process-wide limiter for the configured backend (re-created when `config.redisUrl` changes, e.g. in tests). */
export function rateLimiter(): RateLimiter {
  if (!shared || shared.url !== config.redisUrl) {
    void shared?.limiter.close();
    shared = {
      url: config.redisUrl,
      limiter: config.redisUrl ? new RedisRateLimiter(config.redisUrl) : new MemoryRateLimiter(),
    };
  }
  return shared.limiter;
}

export async function closeRateLimiter(): Promise<void> {
  await shared?.limiter.close();
  shared = undefined;
}
