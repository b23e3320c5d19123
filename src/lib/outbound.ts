import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { config } from "@/config";

/**
 * The one guard for server-side requests to an address a tenant chooses: webhook targets, workflow
 * endpoints (OpenAI-compatible `baseUrl`), media URLs handed to a provider, and any future
 * per-organization URL. A URL is refused when its host (an IP literal, or EVERY address its name
 * resolves to) falls in a non-public range. Requests connect to the address that was checked (see
 * `pinnedRequest`), so a DNS answer that changes between check and connect (rebinding) cannot move
 * them; redirects are never followed; an upstream error body never reaches the caller (see
 * `guardedFetch`). `config.allowPrivateWebhookTargets` turns the address check off (local
 * development, tests) but not the rest.
 */

/** Thrown when a target is not allowed; `message` is safe to show to the tenant who chose the URL. */
export class TargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetRefused";
  }
}

/**
 * A guarded request failed. `message` is a short reason we wrote ourselves (never the upstream body,
 * which may carry anything); `status` is the upstream HTTP status when one arrived.
 */
export class OutboundError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = "OutboundError";
  }
}

// node:net's BlockList does the CIDR arithmetic; one list per family because a v4 list also
// matches IPv4-mapped IPv6 addresses, which we want, while a v6 rule must never match a v4 address.
const V4_BLOCKED: [string, number, string][] = [
  ["0.0.0.0", 8, "unspecified / this network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay anycast"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved / broadcast"],
];
const V6_BLOCKED: [string, number, string][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["100::", 64, "discard-only"],
  ["2001:db8::", 32, "documentation"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local"],
  ["ff00::", 8, "multicast"],
];

function buildList(rules: [string, number, string][], family: "ipv4" | "ipv6") {
  return rules.map(([network, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, label };
  });
}
const v4Rules = buildList(V4_BLOCKED, "ipv4");
const v6Rules = buildList(V6_BLOCKED, "ipv6");

/** The 16 bytes of an IPv6 address (`isIP(addr) === 6` already checked), zone id stripped. */
function ipv6Bytes(address: string): number[] {
  let text = address.split("%")[0]!.toLowerCase();
  const bytes: number[] = [];
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail) {
    const parts = tail[1]!.split(".").map(Number);
    text = `${text.slice(0, -tail[1]!.length)}${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const headParts = head ? head.split(":") : [];
  const restParts = rest ? rest.split(":") : [];
  const missing = 8 - headParts.length - restParts.length;
  const hextets = [...headParts, ...(rest !== undefined ? Array(missing).fill("0") : []), ...restParts];
  for (const h of hextets) {
    const n = parseInt(h || "0", 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return bytes;
}

/** An IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIPv4(address: string): string | null {
  const b = ipv6Bytes(address);
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join(".");
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12); // ::ffff:a.b.c.d
  if (zero(0, 12) && !(b[12] === 0 && b[13] === 0 && b[14] === 0 && (b[15] ?? 0) <= 1)) return v4(12); // ::a.b.c.d (deprecated)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return v4(12); // 64:ff9b::/96 NAT64
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2); // 2002::/16 6to4
  return null;
}

/** Why `address` is not a public unicast address, or null when it is. */
export function nonPublicReason(address: string): string | null {
  const family = isIP(address.split("%")[0]!);
  if (family === 4) return v4Rules.find((r) => r.list.check(address, "ipv4"))?.label ?? null;
  if (family === 6) {
    const bare = address.split("%")[0]!;
    const v6 = v6Rules.find((r) => r.list.check(bare, "ipv6"));
    if (v6) return v6.label;
    const inner = embeddedIPv4(bare);
    if (inner) {
      const reason = nonPublicReason(inner);
      return reason ? `${reason} (IPv4 inside IPv6)` : null;
    }
    return null;
  }
  return "not an IP address";
}

/** The name did not resolve here; a refusal for targets we connect to ourselves, not for media (below). */
class UnresolvedHost extends TargetRefused {
  constructor(hostname: string) {
    super(`The host ${hostname} could not be resolved`);
  }
}

export type ResolvedTarget = { url: URL; hostname: string; addresses: { address: string; family: 4 | 6 }[] };

/** Hostname as written in the URL, without the brackets of an IPv6 literal. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** A host's checked addresses: what it resolved to and why it is refused (null when every address is public). */
type HostCheck = { addresses: { address: string; family: 4 | 6 }[]; refusal: string | null; expiresAt: number };

/** How long a name's checked addresses are reused: delivery to one endpoint resolves it once per window, not per request. */
const HOST_CHECK_TTL_MS = 30_000;
const HOST_CHECK_MAX = 1000;
const hostChecks = new Map<string, HostCheck>();

/**
 * The name's addresses, IPv4 first, and the refusal they earn, from the cache while it is fresh.
 * Safe against DNS rebinding because requests connect to these very addresses (`pinnedRequest`),
 * not to whatever the name resolves to later. A name that does not resolve is not cached.
 */
async function checkHost(hostname: string, literal: number): Promise<HostCheck> {
  const now = Date.now();
  const cached = hostChecks.get(hostname);
  if (cached && cached.expiresAt > now) return cached;
  let addresses: { address: string; family: 4 | 6 }[];
  if (literal) {
    addresses = [{ address: hostname, family: literal as 4 | 6 }];
  } else {
    try {
      const found = await lookup(hostname, { all: true, verbatim: true });
      addresses = found.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    } catch {
      throw new UnresolvedHost(hostname);
    }
    if (addresses.length === 0) throw new UnresolvedHost(hostname);
    // IPv4 first: many servers resolve AAAA records but have no IPv6 route.
    addresses.sort((a, b) => a.family - b.family);
  }
  let refusal: string | null = null;
  for (const { address } of addresses) {
    const reason = nonPublicReason(address);
    if (reason) {
      refusal = literal
        ? `URLs may not point to ${reason} addresses (${address})`
        : `The host ${hostname} resolves to a ${reason} address (${address}); only public addresses are allowed`;
      break;
    }
  }
  const check = { addresses, refusal, expiresAt: now + HOST_CHECK_TTL_MS };
  hostChecks.delete(hostname);
  if (hostChecks.size >= HOST_CHECK_MAX) hostChecks.delete(hostChecks.keys().next().value!);
  hostChecks.set(hostname, check);
  return check;
}

/**
 * Resolves the URL's host (all addresses) and refuses it when any address is not public, unless
 * private targets are allowed. Throws `TargetRefused`. A name's answer is reused for 30 s.
 */
export async function resolveTarget(rawUrl: string): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new TargetRefused("The URL is not valid");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TargetRefused("Only http and https URLs are allowed");
  const hostname = bareHostname(url);
  const { addresses, refusal } = await checkHost(hostname, isIP(hostname));
  if (refusal && !config.allowPrivateWebhookTargets) throw new TargetRefused(refusal);
  return { url, hostname, addresses };
}

/**
 * The URL and fetch options that connect to checked address `index` rather than resolving the name
 * again: the host part is replaced by the IP, `Host` carries the original name, and for https the
 * TLS server name (SNI) is the original name, which Bun also verifies the certificate against (chain
 * and name; a certificate for another name fails with ERR_TLS_CERT_ALTNAME_INVALID). No
 * `checkServerIdentity` callback: with one, Bun opens a new connection (a TLS handshake, about 1 ms
 * of CPU) for every request; without it, connections are kept alive and pooled per address, port and
 * TLS options, so a connection made for one name is never reused for another (tests/lib/outbound-tls).
 */
export function pinnedRequest(target: ResolvedTarget, index = 0): { url: string; host?: string; tls?: Record<string, unknown> } {
  const { url, hostname } = target;
  if (isIP(hostname) || config.allowPrivateWebhookTargets) return { url: url.toString() };
  const first = target.addresses[index] ?? target.addresses[0]!;
  const pinned = new URL(url.toString());
  pinned.hostname = first.family === 6 ? `[${first.address}]` : first.address;
  const host = url.port ? `${hostname}:${url.port}` : hostname;
  if (url.protocol === "http:") return { url: pinned.toString(), host };
  return { url: pinned.toString(), host, tls: { serverName: hostname } };
}

/** Save-time check of a URL the tenant chooses; throws `TargetRefused` (callers make it a 422 on their field). */
export async function assertPublicTarget(rawUrl: string): Promise<void> {
  if (config.allowPrivateWebhookTargets) return;
  await resolveTarget(rawUrl);
}

// Names that only mean something inside a private network (a provider on the same network as
// LivChat, e.g. WuzAPI in Docker, would fetch them there); single-label names like `minio` included.
const INTERNAL_NAME = /(^[^.]+$)|(\.(localhost|local|internal|intranet|lan|home\.arpa)$)/i;

/**
 * Why a media URL may not be handed to a provider, or null when it may. The provider fetches it,
 * not us, so the connection cannot be pinned: we refuse private address literals, internal-looking
 * names, and names that resolve here to a private address. A name that does not resolve here is
 * left to the provider (it fails there, or it is public DNS we cannot reach).
 */
export async function mediaUrlRefusal(rawUrl: string): Promise<string | null> {
  if (config.allowPrivateWebhookTargets) return null;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return "The URL is not valid";
  }
  const hostname = bareHostname(url);
  if (!isIP(hostname) && INTERNAL_NAME.test(hostname.replace(/\.$/, ""))) return `${hostname} is an internal host name; media URLs must be public`;
  try {
    await resolveTarget(rawUrl);
    return null;
  } catch (err) {
    if (err instanceof UnresolvedHost) return null;
    if (err instanceof TargetRefused) return err.message;
    throw err;
  }
}

export type GuardedFetchOptions = {
  timeoutMs: number;
  /** The caller's cancellation (a client that went away); combined with the timeout. */
  signal?: AbortSignal;
  /**
   * The URL comes from the operator's environment (OPENAI_BASE_URL, AST_URL), not from a tenant, so
   * a private address is legitimate (a model server on localhost). Redirects and error bodies are
   * still handled as for any other target.
   */
  operatorConfigured?: boolean;
};

const STATUS_REASONS: Record<number, string> = {
  400: "the request was rejected",
  401: "the credentials were refused",
  403: "the credentials were refused",
  404: "not found",
  408: "timed out",
  413: "the request was too large",
  429: "rate limited",
};

function statusReason(status: number): string {
  return STATUS_REASONS[status] ?? (status >= 500 ? "server error" : "request failed");
}

/**
 * `fetch` for targets a tenant chose: the address is checked and the connection pinned to it (the
 * first of up to three checked addresses that accepts a connection, IPv4 first), redirects are not
 * followed, and failures become `TargetRefused` or `OutboundError` with reasons we write ourselves.
 * Resolves only with a 2xx response; any other status is an `OutboundError` carrying it, the body
 * discarded unread.
 */
export async function guardedFetch(rawUrl: string, init: RequestInit, opts: GuardedFetchOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetchCheckedTarget(rawUrl, { ...init, signal }, { operatorConfigured: opts.operatorConfigured });
  } catch (err) {
    if (err instanceof TargetRefused) throw err;
    if (timeout.aborted) throw new OutboundError(`timed out after ${opts.timeoutMs / 1000} s`, null, true);
    if (opts.signal?.aborted) throw new OutboundError("the request was cancelled");
    throw new OutboundError("could not be reached");
  }
  if (res.status >= 200 && res.status < 300) return res;
  await res.body?.cancel().catch(() => {});
  if (res.status >= 300 && res.status < 400) throw new OutboundError(`answered ${res.status} with a redirect, which is not followed`, res.status);
  throw new OutboundError(`answered HTTP ${res.status} (${statusReason(res.status)})`, res.status);
}

/**
 * The connection part of the guard, shared by `guardedFetch` and webhook deliveries (which read any
 * status and describe failures their own way): resolve and check every address, then connect to a
 * checked one (no DNS rebinding) — the next of up to three, IPv4 first, when one cannot be reached
 * (say IPv6 without a route) — and never follow a redirect (it would reach an address nobody
 * checked). Resolves with whatever the target answered; throws `TargetRefused` or the network error.
 */
export async function fetchCheckedTarget(rawUrl: string, init: RequestInit, opts: { operatorConfigured?: boolean } = {}): Promise<Response> {
  const send = (target: { url: string; host?: string; tls?: Record<string, unknown> }) => {
    if (!target.host) return fetch(target.url, { ...init, redirect: "manual" });
    const headers = new Headers(init.headers);
    headers.set("host", target.host);
    return fetch(target.url, { ...init, headers, redirect: "manual", ...(target.tls ? { tls: target.tls } : {}) } as RequestInit);
  };
  if (opts.operatorConfigured || config.allowPrivateWebhookTargets) return send({ url: rawUrl });
  const resolved = await resolveTarget(rawUrl);
  let lastError: unknown;
  for (let i = 0; i < Math.min(resolved.addresses.length, 3); i++) {
    try {
      return await send(pinnedRequest(resolved, i));
    } catch (err) {
      if (init.signal?.aborted) throw err;
      lastError = err;
    }
  }
  throw lastError;
}
