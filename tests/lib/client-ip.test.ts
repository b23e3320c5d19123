import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { config, parseEnv } from "@/config";
import { clientIp } from "@/lib/client-ip";

// A real socket: the server answers with what clientIp() makes of each request it receives.
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request, srv) => Response.json({ ip: clientIp(request, srv) }) });
afterAll(() => server.stop(true));
afterEach(() => {
  config.trustedProxies = [];
});

async function ipFor(forwardedFor?: string): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${server.port}/`, { headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {} });
  return ((await res.json()) as { ip: string | null }).ip;
}

describe("clientIp", () => {
  test("by default no proxy is trusted: the socket address, whatever X-Forwarded-For says", async () => {
    expect(await ipFor()).toBe("127.0.0.1");
    expect(await ipFor("198.51.100.7")).toBe("127.0.0.1");
  });

  test("trusted CIDRs: X-Forwarded-For is walked from the right past trusted hops only", async () => {
    config.trustedProxies = ["loopback"];
    expect(await ipFor("198.51.100.7")).toBe("198.51.100.7");
    // 10.0.0.1 is not trusted, so it is the client; what it claims to its left is not believed.
    expect(await ipFor("203.0.113.9, 198.51.100.7, 10.0.0.1")).toBe("10.0.0.1");
    config.trustedProxies = ["127.0.0.1/32", "10.0.0.0/8"];
    expect(await ipFor("203.0.113.9, 198.51.100.7, 10.0.0.1")).toBe("198.51.100.7");
    expect(await ipFor()).toBe("127.0.0.1");
  });

  test("a socket that is not a trusted proxy cannot speak for anyone", async () => {
    config.trustedProxies = ["10.0.0.0/8"];
    expect(await ipFor("198.51.100.7")).toBe("127.0.0.1");
  });

  test("a hop count trusts that many proxies in front of us", async () => {
    config.trustedProxies = 1;
    expect(await ipFor("203.0.113.9, 198.51.100.7")).toBe("198.51.100.7");
    config.trustedProxies = 2;
    expect(await ipFor("203.0.113.9, 198.51.100.7")).toBe("203.0.113.9");
    config.trustedProxies = 5;
    expect(await ipFor("203.0.113.9, 198.51.100.7")).toBe("203.0.113.9");
  });

  test("a hop that is not an address falls back to the socket; no socket (app.handle) is unknown", async () => {
    config.trustedProxies = ["loopback"];
    expect(await ipFor("<script>")).toBe("127.0.0.1");
    expect(clientIp(new Request("http://localhost/"), server)).toBeNull();
    expect(clientIp(undefined, server)).toBeNull();
  });

  test("TRUSTED_PROXIES is checked at boot: CIDRs, addresses or a hop count", () => {
    expect(parseEnv({}).trustedProxies).toEqual([]);
    expect(parseEnv({ TRUSTED_PROXIES: "2" }).trustedProxies).toBe(2);
    expect(parseEnv({ TRUSTED_PROXIES: "10.0.0.0/8, 127.0.0.1" }).trustedProxies).toEqual(["10.0.0.0/8", "127.0.0.1"]);
    for (const bad of ["proxy.internal", "10.0.0.0/99", "-1"]) expect(() => parseEnv({ TRUSTED_PROXIES: bad })).toThrow("TRUSTED_PROXIES");
  });
});
