import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookDeliveries } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { runDeliveriesOnce } from "@/features/webhooks/delivery.send";
import { nonPublicReason, pinnedRequest, resolveTarget, TargetRefused } from "@/lib/outbound";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startSubscriber } from "./subscriber";
import { attemptsOf } from "@/features/webhooks/delivery.log";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
const sub = startSubscriber();

beforeAll(async () => {
  config.allowPrivateWebhookTargets = false;
  org = await setupOrg(app);
});
afterAll(() => sub.stop());

describe("address classification", () => {
  test("refuses private, loopback, link-local, unique-local, CGNAT, multicast, unspecified (v4 and v6)", () => {
    const refused = [
      "127.0.0.1",
      "127.255.1.2",
      "10.0.0.5",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "100.127.255.254",
      "0.0.0.0",
      "224.0.0.1",
      "239.255.255.250",
      "255.255.255.255",
      "::",
      "::1",
      "0:0:0:0:0:0:0:1",
      "fe80::1",
      "fe80::1%eth0",
      "fc00::1",
      "fd12:3456:789a::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:10.1.2.3",
      "::ffff:169.254.169.254",
      "64:ff9b::a00:1",
      "2002:c0a8:101::1",
    ];
    for (const address of refused) expect([address, nonPublicReason(address) !== null]).toEqual([address, true]);
  });

  test("accepts public unicast addresses", () => {
    for (const address of [
      "93.184.216.34",
      "8.8.8.8",
      "1.1.1.1",
      "172.32.0.1",
      "100.128.0.1",
      "2606:4700:4700::1111",
      "2001:4860:4860::8888",
      "::ffff:8.8.8.8",
    ]) {
      expect([address, nonPublicReason(address)]).toEqual([address, null]);
    }
  });

  test("resolveTarget checks every resolved address; localhost resolves to loopback and is refused", async () => {
    await expect(resolveTarget("http://localhost:9/x")).rejects.toBeInstanceOf(TargetRefused);
    await expect(resolveTarget("http://[::1]:9/x")).rejects.toThrow(/loopback/);
    await expect(resolveTarget("file:///etc/passwd")).rejects.toThrow(/http and https/);
    const ok = await resolveTarget("https://93.184.216.34/hook");
    expect(ok.addresses).toEqual([{ address: "93.184.216.34", family: 4 }]);
  });

  test("pinning: a resolved name connects to the checked address with the original Host and TLS name", () => {
    const target = {
      url: new URL("https://hooks.example.com:8443/in?x=1"),
      hostname: "hooks.example.com",
      addresses: [{ address: "93.184.216.34", family: 4 as const }],
    };
    const pinned = pinnedRequest(target);
    expect(pinned.url).toBe("https://93.184.216.34:8443/in?x=1");
    expect(pinned.host).toBe("hooks.example.com:8443");
    expect(pinned.tls?.serverName).toBe("hooks.example.com");
    const v6 = pinnedRequest({
      url: new URL("http://hooks.example.com/in"),
      hostname: "hooks.example.com",
      addresses: [{ address: "2606:4700::1", family: 6 }],
    });
    expect(v6.url).toBe("http://[2606:4700::1]/in");
    expect(v6.host).toBe("hooks.example.com");
  });
});

describe("SSRF guard on the API and at delivery", () => {
  test("creating or updating an endpoint aimed at a private target is a 422 naming url", async () => {
    for (const url of [
      sub.url,
      `http://localhost:${sub.port}/x`,
      "http://[::1]/x",
      "http://[::ffff:127.0.0.1]/x",
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.1/",
      "http://100.64.1.1/",
      "http://[fd00::1]/",
    ]) {
      const res = await api(app, "POST", "/v1/webhooks", org.key, { url });
      expect([url, res.status]).toEqual([url, 422]);
      expect(res.body.error.details[0].path).toBe("url");
    }
    const ok = await api(app, "POST", "/v1/webhooks", org.key, { url: "https://93.184.216.34/hooks" });
    expect(ok.status).toBe(201);
    const moved = await api(app, "PATCH", `/v1/webhooks/${ok.body.id}`, org.key, { url: `http://localhost:${sub.port}/x` });
    expect(moved.status).toBe(422);
    expect(moved.body.error.details[0].path).toBe("url");
    await api(app, "DELETE", `/v1/webhooks/${ok.body.id}`, org.key);
  });

  test("a target that became private after saving is refused again at delivery time; nothing is sent", async () => {
    // Saved while private targets were allowed (as after a DNS change), delivered with the guard on.
    config.allowPrivateWebhookTargets = true;
    const created = await api(app, "POST", "/v1/webhooks", org.key, { url: `http://localhost:${sub.port}/hooks` });
    expect(created.status).toBe(201);
    config.allowPrivateWebhookTargets = false;
    await recordEvent({ organizationId: org.organization.id, type: "message.received", data: {} });
    const { outcomes } = await runDeliveriesOnce();
    expect(outcomes).toEqual(["failed"]);
    expect(sub.received.length).toBe(0);
    const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, created.body.id));
    expect(delivery!.lastError).toMatch(/^Refused: .*loopback/);
    expect(delivery!.lastStatusCode).toBeNull();
    const attempts = await attemptsOf(delivery!);
    expect(attempts[0]!.error).toMatch(/^Refused/);
  });
});
