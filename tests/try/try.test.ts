import { describe, expect, test } from "bun:test";
import { and, eq, isNull } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { apiKeys, devices, instances, messages } from "@/db/schema";
import { claimDevice } from "@/features/devices/device.claim";
import { TRY_INSTANCES_PER_IP_PER_HOUR } from "@/features/try/try.service";
import { api, TestClient } from "../helpers/client";
import { served } from "../helpers/served";
import { createOwner } from "../helpers/factories";

// Over a real socket, loopback trusted as the proxy: each visitor's X-Forwarded-For is its address.
config.trustedProxies = ["loopback"];
const app = served(createApp());

function keyFrom(html: string): string {
  const match = html.match(/lc_live_[0-9A-Za-z]{32}/);
  expect(match).not.toBeNull();
  return match![0];
}

/** A visitor from its own address, so the per-IP allowance of one test does not leak into another. */
function visitor(ip = `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`) {
  const client = new TestClient(app);
  const post = (path: string, data: Record<string, string> = {}, htmx = false) => client.postForm(path, data, { htmx, headers: { "x-forwarded-for": ip } });
  return { client, post };
}

describe("/try (try before sign-up)", () => {
  test("the landing page needs no account and creates nothing", async () => {
    const before = await db.$count(devices);
    const res = await new TestClient(app).get("/try");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Create my sandbox number");
    expect(html).toContain('href="/signup"');
    expect(await db.$count(devices)).toBe(before);
  });

  test("creates device, sandbox instance and key once; the key works with the curl example", async () => {
    const { client, post } = visitor();
    const res = await post("/try");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(client.cookies.get("lc_device")).toBeTruthy();
    const html = await res.text();
    const secret = keyFrom(html);
    expect(html).toContain('src="data:image/png;base64,');
    expect(html).toContain('hx-get="/try/connection"');
    expect(html).toContain("curl -X POST http://localhost:3000/v1/messages");
    expect(html).toContain(`Authorization: Bearer ${secret}`);
    const text = html.replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&#39;", "'");
    expect(text).toContain(`-H "Authorization: Bearer ${secret}"`);
    expect(text).toContain(`-H "content-type: application/json"`);
    expect(text).toContain(`-d '{"to":"+5511999990001","type":"text","text":"Olá"}'`);

    const [device] = await db.select().from(devices).where(isNull(devices.organizationId)).orderBy(devices.createdAt);
    const owned = await db
      .select()
      .from(instances)
      .where(and(isNull(instances.organizationId), eq(instances.createdByDeviceId, device!.id)));
    expect(owned).toHaveLength(1);
    expect(owned[0]).toMatchObject({ provider: "sandbox", status: "qr" });

    // A second submit or a reload shows the same number and never the key again.
    const again = await post("/try");
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/try");
    const page = await (await client.get("/try")).text();
    expect(page).not.toMatch(/lc_live_[0-9A-Za-z]{32}/);
    expect(page).toContain("Create a new key");
    expect(await db.$count(instances, eq(instances.createdByDeviceId, device!.id))).toBe(1);
    expect(await db.$count(apiKeys, eq(apiKeys.deviceId, device!.id))).toBe(1);

    // Simulate the scan from the page, then the API key sends through the paired number.
    const scan = await post("/try/scan", {}, true);
    expect(await scan.text()).toContain('data-status="connected"');
    const sent = await api(app, "POST", "/v1/messages", secret, { to: "+5511999990001", type: "text", text: "Olá" });
    expect(sent.status).toBe(202);
    const list = await api(app, "GET", "/v1/instances", secret);
    expect(list.body.data.map((i: { id: string }) => i.id)).toEqual([owned[0]!.id]);

    // A contact replies through the simulator on the page.
    const inbound = await post("/try/simulate-inbound", { from: "+5511988887777", text: "Oi" }, true);
    expect(inbound.status).toBe(200);
    expect(await db.$count(messages, and(eq(messages.instanceId, owned[0]!.id), eq(messages.direction, "inbound")))).toBe(1);

    // Signing up claims device, instance and key: the same key now acts for the organization.
    const { organization } = await createOwner();
    await db.transaction((tx) => claimDevice(tx, device!.id, organization.id));
    const [claimed] = await db.select().from(instances).where(eq(instances.id, owned[0]!.id));
    expect(claimed!.organizationId).toBe(organization.id);
    // The browser is signed out of the trial: its cookie no longer names a visitor device.
    const after = await (await client.get("/try")).text();
    expect(after).toContain("Create my sandbox number");
  });

  test("a lost key can be replaced; the old one stops working", async () => {
    const { post } = visitor();
    const old = keyFrom(await (await post("/try")).text());
    expect((await api(app, "GET", "/v1/instances", old)).status).toBe(200);
    const rotated = await post("/try/key", {}, true);
    expect(rotated.status).toBe(200);
    const fresh = keyFrom(await rotated.text());
    expect(fresh).not.toBe(old);
    expect((await api(app, "GET", "/v1/instances", old)).status).toBe(401);
    expect((await api(app, "GET", "/v1/instances", fresh)).status).toBe(200);
  });

  test("trial actions without a trial are 404; connection panel polls until paired", async () => {
    const { client, post } = visitor();
    expect((await client.get("/try/connection")).status).toBe(404);
    expect((await post("/try/scan", {}, true)).status).toBe(404);
    expect((await post("/try/key", {}, true)).status).toBe(404);
    await post("/try");
    const panel = await (await client.get("/try/connection", { htmx: true })).text();
    expect(panel).toContain('hx-trigger="every 2s"');
    expect(panel).not.toContain("Log out");
    const reconnect = await post("/try/connect", {}, true);
    expect(await reconnect.text()).toContain("data:image/png;base64,");
  });

  test("one network cannot mint unlimited trial numbers", async () => {
    const ip = "192.0.2.77";
    for (let i = 0; i < TRY_INSTANCES_PER_IP_PER_HOUR; i++) expect((await visitor(ip).post("/try")).status).toBe(200);
    const refused = await visitor(ip).post("/try");
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain("Too many trial numbers");
  });

  test("a forged device cookie is ignored", async () => {
    const client = new TestClient(app);
    client.cookies.set("lc_device", `${crypto.randomUUID()}.forged`);
    const res = await client.get("/try");
    expect(await res.text()).toContain("Create my sandbox number");
    expect((await client.get("/try/connection")).status).toBe(404);
  });
});
