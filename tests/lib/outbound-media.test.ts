// Media URLs in outbound messages pass the outbound guard before a provider ever sees them: at the
// API (422 on media.url) and again when the worker sends (DNS may have changed since).
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { messages, organizations } from "@/db/schema";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox } from "../messages/helpers";

const app = createApp();
const TO = "+5511999990001";

beforeEach(() => {
  config.allowPrivateWebhookTargets = false;
});
afterAll(() => {
  config.allowPrivateWebhookTargets = false;
});

describe("media URLs of outbound messages", () => {
  test("private targets are refused with 422 on media.url and nothing is queued", async () => {
    const { key, organization } = await setupOrg(app);
    await connectedSandbox(app, key);
    for (const [type, url] of [
      ["image", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"],
      ["document", "http://127.0.0.1:5432/"],
      ["video", "http://[::1]/v.mp4"],
      ["audio", "http://localhost/a.ogg"],
      ["sticker", "http://wuzapi:8080/admin/users"],
    ] as const) {
      const res = await api(app, "POST", "/v1/messages", key, { to: TO, type, media: { url } });
      expect([url, res.status]).toEqual([url, 422]);
      expect(res.body.error.details).toEqual([{ path: "media.url", message: expect.any(String) }]);
    }
    expect(await db.select().from(messages).where(eq(messages.organizationId, organization.id))).toEqual([]);
    const ok = await api(app, "POST", "/v1/messages", key, { to: TO, type: "image", media: { url: "https://93.184.216.34/cat.jpg" } });
    expect(ok.status).toBe(202);
  });

  test("a message queued while allowed is refused at send: failed, never handed to the provider", async () => {
    const { key, organization } = await setupOrg(app);
    // The stored reason is written in the organization's language; this test reads the English one.
    await db.update(organizations).set({ language: "en" }).where(eq(organizations.id, organization.id));
    await connectedSandbox(app, key);
    config.allowPrivateWebhookTargets = true;
    const queued = await api(app, "POST", "/v1/messages", key, { to: TO, type: "image", media: { url: "http://10.0.0.8/internal.png" } });
    expect(queued.status).toBe(202);
    config.allowPrivateWebhookTargets = false;
    await runOutboundOnce();
    const [row] = await db.select().from(messages).where(eq(messages.id, queued.body.id));
    expect(row).toMatchObject({ status: "failed", providerMessageId: null, attempts: 1 });
    expect(row!.error).toMatch(/^Media URL refused: .*private/);
  });
});
