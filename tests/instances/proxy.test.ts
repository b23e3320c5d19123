import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, instances } from "@/db/schema";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { encryptCloudConfig } from "@/providers";
import type { Instance } from "@/db/schema";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/**
 * WuzAPI's `POST /session/proxy {proxy_url, enable}` as handlers.go's SetProxy answers it: refused while
 * the session is connected, http/socks5 only, `enable: false` removes it. Every request is recorded.
 */
type Recorded = { path: string; body: any; token: string | null };
const recorded: Recorded[] = [];
const TOKEN = "user-token-proxy";
let wuzConnected = false;
const wuz = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const body = JSON.parse((await req.text()) || "null");
    recorded.push({ path: url.pathname, body, token: req.headers.get("token") });
    if (req.headers.get("token") !== TOKEN) return Response.json({ code: 401, error: "unauthorized", success: false }, { status: 401 });
    if (url.pathname !== "/session/proxy") return Response.json({ code: 404, error: "not found", success: false }, { status: 404 });
    const fail = (error: string) => Response.json({ code: 400, error, success: false }, { status: 400 });
    if (wuzConnected) return fail("cannot set proxy while connected. Please disconnect first");
    if (!body.enable) return Response.json({ code: 200, data: { Details: "Proxy disabled successfully" }, success: true });
    if (!body.proxy_url) return fail("missing proxy_url in payload");
    const scheme = new URL(body.proxy_url).protocol;
    if (scheme !== "http:" && scheme !== "socks5:") return fail("only HTTP and SOCKS5 proxies are supported");
    return Response.json({ code: 200, data: { Details: "Proxy configured successfully", ProxyURL: body.proxy_url }, success: true });
  },
});

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let wuzapi: Instance;
let cloud: Instance;
let sandbox: Instance;

beforeAll(async () => {
  config.wuzapi = { url: `http://127.0.0.1:${wuz.port}`, adminToken: "admin", hmacKey: "hmac-key-for-tests-hmac-key-for-tests" };
  org = await setupOrg(app);
  other = await setupOrg(app);
  [wuzapi, cloud, sandbox] = (await db
    .insert(instances)
    .values([
      { organizationId: org.organization.id, name: "WuzAPI", provider: "wuzapi", status: "disconnected", providerTokenEnc: encryptSecret(TOKEN) },
      {
        organizationId: org.organization.id,
        name: "Cloud",
        provider: "cloud",
        status: "connected",
        providerConfig: encryptCloudConfig({ phoneNumberId: "1", accessToken: "t", appSecret: "s", verifyToken: "v" }),
      },
      { organizationId: org.organization.id, name: "Sandbox", provider: "sandbox", status: "logged_out" },
    ])
    .returning()) as [Instance, Instance, Instance];
});

afterAll(() => wuz.stop(true));

const PROXY = "socks5://proxyuser:s3cr3t-pass@10.1.2.3:1080";

describe("a WuzAPI instance's proxy", () => {
  test("set: sent to /session/proxy as WuzAPI takes it, stored encrypted, shown masked, audited without the password", async () => {
    const res = await api(app, "PUT", `/v1/instances/${wuzapi.id}/proxy`, org.key, { url: PROXY });
    expect(res.status).toBe(200);
    expect(res.body.config.proxy).toBe("socks5://proxyuser:****@10.1.2.3:1080");
    expect(JSON.stringify(res.body)).not.toContain("s3cr3t-pass");
    expect(recorded.at(-1)).toEqual({ path: "/session/proxy", body: { proxy_url: PROXY, enable: true }, token: TOKEN });
    const [row] = await db.select().from(instances).where(eq(instances.id, wuzapi.id));
    expect(JSON.stringify(row!.providerConfig)).not.toContain("s3cr3t-pass");
    expect(decryptSecret(row!.providerConfig.proxyUrlEnc as string)).toBe(PROXY);
    const got = await api(app, "GET", `/v1/instances/${wuzapi.id}`, org.key);
    expect(got.body.config.proxy).toBe("socks5://proxyuser:****@10.1.2.3:1080");
    const audits = await db
      .select({ details: auditLogs.details })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.action, "instance.proxy_changed")));
    expect(audits.map((a) => a.details)).toContainEqual({ proxy: "socks5://proxyuser:****@10.1.2.3:1080" });
  });

  test("remove: enable false, config.proxy gone", async () => {
    const res = await api(app, "PUT", `/v1/instances/${wuzapi.id}/proxy`, org.key, { url: null });
    expect(res.status).toBe(200);
    expect(res.body.config.proxy).toBeUndefined();
    expect(recorded.at(-1)!.body).toEqual({ enable: false });
    const [row] = await db.select().from(instances).where(eq(instances.id, wuzapi.id));
    expect(row!.providerConfig.proxyUrlEnc).toBeUndefined();
  });

  test("while connected: 409 asking to log out first, WuzAPI not asked; a WuzAPI refusal is a 502", async () => {
    await db.update(instances).set({ status: "connected" }).where(eq(instances.id, wuzapi.id));
    const before = recorded.length;
    const res = await api(app, "PUT", `/v1/instances/${wuzapi.id}/proxy`, org.key, { url: PROXY }, { "accept-language": "pt-BR" });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toStartWith("Desconecte a instância");
    expect(recorded.length).toBe(before);
    // WuzAPI still connected though LivChat thinks not (a missed webhook): its refusal comes through.
    await db.update(instances).set({ status: "disconnected" }).where(eq(instances.id, wuzapi.id));
    wuzConnected = true;
    const refused = await api(app, "PUT", `/v1/instances/${wuzapi.id}/proxy`, org.key, { url: PROXY });
    wuzConnected = false;
    expect(refused.status).toBe(502);
    expect(refused.body.error.message).toContain("cannot set proxy while connected");
    const [row] = await db.select().from(instances).where(eq(instances.id, wuzapi.id));
    expect(row!.providerConfig.proxyUrlEnc).toBeUndefined();
  });

  test("bad input is a 422 naming the field in the reader's language", async () => {
    for (const url of ["ftp://host:21", "socks5://", "not a url", "http://host/path", 42]) {
      const res = await api(app, "PUT", `/v1/instances/${wuzapi.id}/proxy`, org.key, { url }, { "accept-language": "pt-BR" });
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.body.error.details)).toContain("url");
    }
    const pt = await api(app, "PUT", `/v1/instances/${wuzapi.id}/proxy`, org.key, { url: "ftp://host:21" }, { "accept-language": "pt-BR" });
    expect(JSON.stringify(pt.body.error.details)).toContain("Informe um proxy http:// ou socks5://");
  });

  test("the Cloud API: 422 unsupported_by_provider; the sandbox accepts it; another org's instance is a 404", async () => {
    const res = await api(app, "PUT", `/v1/instances/${cloud.id}/proxy`, org.key, { url: PROXY });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("unsupported_by_provider");
    expect(res.body.error.message).toContain("WhatsApp Cloud API");
    const sb = await api(app, "PUT", `/v1/instances/${sandbox.id}/proxy`, org.key, { url: "http://10.0.0.9:3128" });
    expect(sb.status).toBe(200);
    expect(sb.body.config.proxy).toBe("http://10.0.0.9:3128");
    expect((await api(app, "PUT", `/v1/instances/${wuzapi.id}/proxy`, other.key, { url: PROXY })).status).toBe(404);
  });
});

describe("the instance page's proxy form", () => {
  test("saves (flash, masked current proxy), refuses a bad address inline in the reader's language without echoing a password, removes", async () => {
    let res = await org.client.postForm(`/instances/${wuzapi.id}/proxy`, { url: PROXY, action: "save" });
    expect(res.status).toBe(303);
    let html = await (await org.client.get(`/instances/${wuzapi.id}`)).text();
    expect(html).toContain("Proxy saved");
    expect(html).toContain("socks5://proxyuser:****@10.1.2.3:1080");
    expect(html).not.toContain("s3cr3t-pass");

    res = await org.client.postForm(`/instances/${wuzapi.id}/proxy`, { url: "ftp://u:topsecret@host:21", action: "save" }, { htmx: true });
    expect(res.status).toBe(422);
    html = await res.text();
    expect(html).toContain("Enter an http:// or socks5:// proxy");
    expect(html).not.toContain("topsecret");

    res = await org.client.postForm(`/instances/${wuzapi.id}/proxy`, { url: "", action: "remove" });
    expect(res.status).toBe(303);
    html = await (await org.client.get(`/instances/${wuzapi.id}`)).text();
    expect(html).toContain("Proxy removed");
    expect(html).not.toContain("10.1.2.3");
    expect(recorded.at(-1)!.body).toEqual({ enable: false });
    // The Cloud instance's page has no proxy form.
    expect(await (await org.client.get(`/instances/${cloud.id}`)).text()).not.toContain('id="instance-proxy"');
  });
});
