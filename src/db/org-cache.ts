import { evictionChannel, type KeyedCache } from "@/db/notified-cache";
import { log } from "@/lib/logger";

/**
 * The caches of per-organization settings read on hot paths (every inbound message reads consent
 * keywords, urgency words, outages, menus, business hours…; issue 21), keyed by organization id on the
 * shared per-process cache (notified-cache.ts: read-through, bounded, TTL, only while listening; started
 * by src/index.ts) and evicted on every process by the `livchat_org_changed` trigger's NOTIFY
 * (drizzle/0065: payload `table:organization_id`) on the tables each cache declares.
 */
export const ORG_CHANGED_CHANNEL = "livchat_org_changed";

type OrgCache = {
  tables: ReadonlySet<string>;
  cache: KeyedCache<unknown>;
};

const caches: OrgCache[] = [];
const changeListeners = new Set<(table: string, organizationId: string) => void>();
const orgChanges = evictionChannel(ORG_CHANGED_CHANNEL, onNotification);

export type OrgCachedOptions<T> = {
  /** Tables whose change (through the trigger) evicts the organization's entry. */
  tables: readonly string[];
  load: (organizationId: string) => Promise<T>;
  ttlMs?: number;
  maxEntries?: number;
};

/** A cached reader of one organization's settings; `load` runs on a miss (and always when not listening). */
export function orgCached<T>(options: OrgCachedOptions<T>): (organizationId: string) => Promise<T> {
  const cache = orgChanges.cache<T>({ ttlMs: options.ttlMs, maxEntries: options.maxEntries });
  caches.push({ tables: new Set(options.tables), cache });
  return (organizationId) => cache.get(organizationId, () => options.load(organizationId));
}

/** Drops an organization's entries in the caches that read `table` (NOTIFY payload `table:organization_id`). */
export function evictOrganization(table: string, organizationId: string): void {
  for (const { tables, cache } of caches) if (tables.has(table)) cache.evict(organizationId);
  for (const listener of changeListeners) listener(table, organizationId);
}

function onNotification(payload: string): void {
  const at = payload.lastIndexOf(":");
  if (at <= 0) {
    log.warn("org cache: unreadable notification, everything dropped", { payload });
    orgChanges.clear();
    return;
  }
  evictOrganization(payload.slice(0, at), payload.slice(at + 1));
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
