import { listen } from "@/db/client";
import { log } from "@/lib/logger";

/**
 * The one cache of per-organization settings read on hot paths (every inbound message reads consent
 * keywords, urgency words, outages, menus, business hours…; issue 21): per process, read-through,
 * bounded (the oldest entry goes first), and evicted on every process by the `livchat_org_changed`
 * trigger's NOTIFY (drizzle/0065: payload `table:organization_id`) on the tables each cache declares.
 * Entries also expire after `ttlMs`, in case a notification was missed while the listening connection
 * reconnected. As the instance cache (inbound.webhooks.ts): only a process that listens caches
 * (src/index.ts starts it), so a test that writes a setting and sends a message at once sees its write.
 */
export const ORG_CHANGED_CHANNEL = "livchat_org_changed";
const DEFAULT_TTL_MS = 60_000;
const DEFAULT_MAX = 10_000;

type OrgCache = {
  name: string;
  tables: ReadonlySet<string>;
  evict: (organizationId: string) => void;
  clear: () => void;
};

const caches: OrgCache[] = [];
let stopListening: (() => Promise<void>) | undefined;
const changeListeners = new Set<(table: string, organizationId: string) => void>();

export type OrgCachedOptions<T> = {
  /** For logs and tests. */
  name: string;
  /** Tables whose change (through the trigger) evicts the organization's entry. */
  tables: readonly string[];
  load: (organizationId: string) => Promise<T>;
  ttlMs?: number;
  maxEntries?: number;
};

/** A cached reader of one organization's settings; `load` runs on a miss (and always when not listening). */
export function orgCached<T>(options: OrgCachedOptions<T>): (organizationId: string) => Promise<T> {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const max = options.maxEntries ?? DEFAULT_MAX;
  const entries = new Map<string, { value: T; until: number }>();
  const loading = new Map<string, Promise<T>>();
  // Bumped by every eviction: a load that started before one does not store what it read (it may predate the change).
  let generation = 0;
  caches.push({
    name: options.name,
    tables: new Set(options.tables),
    evict(organizationId) {
      generation++;
      entries.delete(organizationId);
      loading.delete(organizationId);
    },
    clear() {
      generation++;
      entries.clear();
      loading.clear();
    },
  });
  return (organizationId) => {
    if (!stopListening) return options.load(organizationId);
    const hit = entries.get(organizationId);
    if (hit && hit.until > Date.now()) return Promise.resolve(hit.value);
    // A burst of messages of one organization after a miss shares one load.
    const pending = loading.get(organizationId);
    if (pending) return pending;
    const started = generation;
    const load = options.load(organizationId).then(
      (value) => {
        if (loading.get(organizationId) === load) loading.delete(organizationId);
        if (started === generation && stopListening) {
          entries.delete(organizationId);
          if (entries.size >= max) entries.delete(entries.keys().next().value as string);
          entries.set(organizationId, { value, until: Date.now() + ttlMs });
        }
        return value;
      },
      (err) => {
        if (loading.get(organizationId) === load) loading.delete(organizationId);
        throw err;
      },
    );
    loading.set(organizationId, load);
    return load;
  };
}

/** Drops an organization's entries in the caches that read `table` (NOTIFY payload `table:organization_id`). */
export function evictOrganization(table: string, organizationId: string): void {
  for (const cache of caches) if (cache.tables.has(table)) cache.evict(organizationId);
  for (const listener of changeListeners) listener(table, organizationId);
}

function onNotification(payload: string): void {
  const at = payload.lastIndexOf(":");
  if (at <= 0) {
    log.warn("org cache: unreadable notification, everything dropped", { payload });
    for (const cache of caches) cache.clear();
    return;
  }
  evictOrganization(payload.slice(0, at), payload.slice(at + 1));
}

export async function startOrgCacheSync(): Promise<void> {
  stopListening ??= await listen(ORG_CHANGED_CHANNEL, onNotification);
}

export async function stopOrgCacheSync(): Promise<void> {
  const stop = stopListening;
  stopListening = undefined;
  for (const cache of caches) cache.clear();
  await stop?.().catch(() => {});
}

/**
 * Resolves when this process hears that `table` changed for the organization (tests wait for the
 * eviction before sending the next message, rather than for a guessed time). Call it before the write.
 */
export function nextOrgChange(table: string, organizationId: string, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (t: string, o: string) => {
      if (t !== table || o !== organizationId) return;
      changeListeners.delete(listener);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      changeListeners.delete(listener);
      reject(new Error(`no ${ORG_CHANGED_CHANNEL} notification for ${table}:${organizationId} within ${timeoutMs} ms`));
    }, timeoutMs);
    changeListeners.add(listener);
  });
}
