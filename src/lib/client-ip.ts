import { isIP } from "node:net";
import proxyaddr from "proxy-addr";
import { config, type TrustedProxies } from "@/config";

/** What clientIp needs of a server: Bun's `server.requestIP`. */
type SocketSource = { requestIP(request: Request): { address: string } | null };

let listening: SocketSource | null = null;

/**
 * Remembers the server this process listens with (app.ts, on start), so callers that only hold the
 * request (audit rows, devices) still read its socket address.
 */
export function rememberServer(server: SocketSource | null | undefined): void {
  listening = server ?? null;
}

let compiled: { setting: TrustedProxies; trust: (address: string, hop: number) => boolean } | undefined;

/** proxy-addr's trust function for the setting: CIDRs (or its names such as `loopback`), or a hop count. */
function trustFor(setting: TrustedProxies) {
  if (compiled?.setting !== setting) {
    const trust = typeof setting === "number" ? (_address: string, hop: number) => hop < setting : proxyaddr.compile(setting);
    compiled = { setting, trust };
  }
  return compiled.trust;
}

/** `::ffff:192.0.2.1` (IPv4 on a dual-stack socket) is written as the IPv4 address it is. */
function normalize(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The client's address, the one every per-client rule uses (sign-in throttling, /try allowances,
 * audit rows, devices). The socket's peer, unless that peer is a trusted proxy (`TRUSTED_PROXIES`):
 * then `X-Forwarded-For` is walked from the right past trusted hops, and the first untrusted hop
 * is the client. Without trusted proxies the header is ignored: any client can write it. Null when
 * the request did not come through a socket (`app.handle` in tests, internal calls).
 */
export function clientIp(request?: Request | null, server: SocketSource | null | undefined = listening): string | null {
  if (!request) return null;
  const socket = server?.requestIP(request)?.address;
  if (!socket) return null;
  const setting = config.trustedProxies;
  const forwarded = request.headers.get("x-forwarded-for");
  if (!forwarded || setting === 0 || (Array.isArray(setting) && setting.length === 0)) return normalize(socket);
  const address = proxyaddr({ headers: { "x-forwarded-for": forwarded }, socket: { remoteAddress: socket } } as never, trustFor(setting));
  // A hop that is not an address (a misconfigured proxy) names no client: fall back to the peer we saw.
  return isIP(address) ? normalize(address) : normalize(socket);
}
