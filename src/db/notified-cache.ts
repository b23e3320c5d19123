import { listen } from "@/db/client";

/**
 * The one per-process read-through cache of hot-path reads (issue 21): the org settings caches
 * (org-cache.ts), the provider-webhook instance lookup (inbound.webhooks.ts) and the API key verdicts
 * (api-key.verify.ts) are built on it. Each cache belongs to a NOTIFY channel whose payloads evict its
 * entries on every process, and by default caches only while this process listens to that channel
 * (src/index.ts starts it), so a test or script that writes and reads at once sees its write. A
 * channel's caches are emptied whenever its LISTEN is re-established after a dropped connection (the
 * evictions sent meanwhile are lost); entries also expire after `ttlMs`, a bound on what a stale entry
 * can do before that; past `maxEntries` the oldest goes.
 */
const DEFAULT_TTL_MS = 60_000;
const DEFAULT_MAX = 10_000;

export type KeyedCache<V> = {
  /** The cached value of `key`, or what `load` returns (always `load` while the channel is not listened to). */
  get(key: string, load: () => Promise<V>): Promise<V>;
  /**
   * The cached value of `key`, or undefined; never loads (a synchronous hot path checks it before `get`).
   * `now` spares a caller that needs the time too a second clock read.
   */
  peek(key: string, now?: number): V | undefined;
  evict(key: string): void;
  /** Drops every entry whose value matches (e.g. every key that cached one instance's row). */
  evictWhere(matches: (value: V) => boolean): void;
  clear(): void;
};

export type KeyedCacheOptions<V> = {
  /** Fixed, or chosen per loaded value (e.g. a negative verdict lives shorter). */
  ttlMs?: number | ((value: V) => number);
  maxEntries?: number;
  /** Whether a loaded value is stored (not: a miss, so a row created next is found at once). */
  keep?: (value: V) => boolean;
  /** Caches while the channel is not listened to as well: for a cache its writers evict directly, so a write is seen at once. */
  evenWhenNotListening?: boolean;
};

export type EvictionChannel = {
  cache<V>(options?: KeyedCacheOptions<V>): KeyedCache<V>;
  /** Drops every entry of this channel's caches (e.g. on a payload it cannot read). */
  clear(): void;
};

type Channel = {
  name: string;
  onPayload: (payload: string) => void;
  caches: KeyedCache<unknown>[];
  unlisten?: () => Promise<void>;
};

const channels: Channel[] = [];

/** Declares a NOTIFY channel whose payloads `onPayload` turns into evictions of the caches made from it. */
export function evictionChannel(name: string, onPayload: (payload: string) => void): EvictionChannel {
  const channel: Channel = { name, onPayload, caches: [] };
  channels.push(channel);
  return {
    cache<V>(options: KeyedCacheOptions<V> = {}) {
      const cache = keyedCache(channel, options);
      channel.caches.push(cache);
      return cache;
    },
    clear() {
      for (const cache of channel.caches) cache.clear();
    },
  };
}

function keyedCache<V>(channel: Channel, options: KeyedCacheOptions<V>): KeyedCache<V> {
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const ttlOf = typeof ttl === "function" ? ttl : () => ttl;
  const always = options.evenWhenNotListening === true;
  const caching = () => always || channel.unlisten !== undefined;
  const max = options.maxEntries ?? DEFAULT_MAX;
  const keep = options.keep ?? (() => true);
  const entries = new Map<string, { value: V; until: number }>();
  const loading = new Map<string, Promise<V>>();
  // Bumped by every eviction: a load that started before one does not store what it read (it may predate the change).
  let generation = 0;
  return {
    get(key, load) {
      if (!caching()) return load();
      const hit = entries.get(key);
      if (hit && hit.until > Date.now()) return Promise.resolve(hit.value);
      // A burst of reads of one key after a miss shares one load.
      const pending = loading.get(key);
      if (pending) return pending;
      const started = generation;
      const loaded = load().then(
        (value) => {
          if (loading.get(key) === loaded) loading.delete(key);
          if (started === generation && caching()) {
            entries.delete(key);
            if (keep(value)) {
              if (entries.size >= max) entries.delete(entries.keys().next().value as string);
              entries.set(key, { value, until: Date.now() + ttlOf(value) });
            }
          }
          return value;
        },
        (err) => {
          if (loading.get(key) === loaded) loading.delete(key);
          throw err;
        },
      );
      loading.set(key, loaded);
      return loaded;
    },
    peek(key, now = Date.now()) {
      // Only what `get` stored is here, so no listening check; no allocation on this path.
      const hit = entries.get(key);
      return hit !== undefined && hit.until > now ? hit.value : undefined;
    },
    evict(key) {
      generation++;
      entries.delete(key);
      loading.delete(key);
    },
    evictWhere(matches) {
      generation++;
      for (const [key, entry] of entries) if (matches(entry.value)) entries.delete(key);
      // What a load under way will return is unknown: later reads start their own.
      loading.clear();
    },
    clear() {
      generation++;
      entries.clear();
      loading.clear();
    },
  };
}

/**
 * Listens to every declared channel (those of the modules imported so far); from then on their caches
 * cache. Each time a channel's LISTEN takes effect again (postgres.js reconnected a dropped connection)
 * its caches start over: evictions sent while it was down never arrive.
 */
export async function startCacheSync(): Promise<void> {
  for (const channel of channels) {
    channel.unlisten ??= await listen(channel.name, channel.onPayload, () => {
      for (const cache of channel.caches) cache.clear();
    });
  }
}

/** Stops listening and drops every entry: reads go to the database again. */
export async function stopCacheSync(): Promise<void> {
  await Promise.all(
    channels.map(async (channel) => {
      const unlisten = channel.unlisten;
      channel.unlisten = undefined;
      for (const cache of channel.caches) cache.clear();
      await unlisten?.().catch(() => {});
    }),
  );
}
