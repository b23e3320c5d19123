import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances, messages, type Instance } from "@/db/schema";
import { encryptCloudConfig } from "@/providers/cloud";
import { runMediaOnce } from "@/workers/media.worker";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { runDeliveriesOnce } from "@/workers/delivery.worker";
import { api } from "../helpers/client";
import { createOwner } from "../helpers/factories";
import { startSubscriber } from "../webhooks/subscriber";
import { PNG, mediaRow, sha256, useTempDataDir } from "./fixtures";

/**
 * End to end from real provider payloads (the fixture corpus of tests/fixtures/providers) posted signed
 * to the hooks: WuzAPI's inline base64 and S3 link, Cloud's media id and webhook url. Links in the
 * payloads point at public hosts, so the test rewrites them to a local server speaking the same
 * protocols (the S3 object URL; Graph's GET /{media-id} and the lookaside URL behind the token).
 */
const FIXTURES = join(import.meta.dir, "../fixtures/providers");
const fixture = (path: string) => JSON.parse(readFileSync(join(FIXTURES, path), "utf8")) as Record<string, any>;
const HMAC_KEY = "media-hooks-hmac-key-media-hooks-hmac-key-0123";
const APP_SECRET = "media-hooks-app-secret";
const TOKEN = "EAAG-hooks-token";
const PHONE_NUMBER_ID = "106540352242922";
const JPEG_ID = "1003383421387256";

const seen: { path: string; auth: string | null }[] = [];
let port = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req): Response {
    const url = new URL(req.url);
    seen.push({ path: url.pathname, auth: req.headers.get("authorization") });
    if (url.pathname.startsWith("/s3/")) return new Response(PNG as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/png" } });
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) return Response.json({ error: { message: "bad token", code: 190 } }, { status: 401 });
    if (url.pathname === `/graph/${JPEG_ID}`) {
      return Response.json({
        url: `http://127.0.0.1:${port}/lookaside/${JPEG_ID}`,
        mime_type: "image/png",
        sha256: "x",
        file_size: PNG.byteLength,
        id: JPEG_ID,
      });
    }
    if (url.pathname.startsWith("/lookaside/")) return new Response(PNG as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/png" } });
    return new Response("not found", { status: 404 });
  },
});
port = server.port!;

const app = createApp();
let wuzapi: Instance;
let cloud: Instance;

beforeAll(async () => {
  useTempDataDir();
  config.allowPrivateWebhookTargets = true;
  config.wuzapi = { ...config.wuzapi, url: "http://127.0.0.1:9", adminToken: "unused-admin-token", hmacKey: HMAC_KEY };
  config.cloudApiBase = `http://127.0.0.1:${port}/graph`;
  const organizationId = (await createOwner()).organization.id;
  [wuzapi] = (await db.insert(instances).values({ organizationId, name: "WuzAPI", provider: "wuzapi", providerInstanceId: "media-user-1" }).returning()) as [
    Instance,
  ];
  const providerConfig = encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: TOKEN, appSecret: APP_SECRET, verifyToken: "verify" });
  [cloud] = (await db.insert(instances).values({ organizationId, name: "Cloud", provider: "cloud", providerConfig }).returning()) as [Instance];
});
afterAll(() => server.stop(true));

async function postWuzapi(payload: Record<string, unknown>) {
  const raw = JSON.stringify({ ...payload, userID: "media-user-1", instanceName: "livchat" });
  const signature = createHmac("sha256", HMAC_KEY).update(raw).digest("hex");
  const res = await app.handle(
    new Request("http://localhost/hooks/wuzapi", { method: "POST", body: raw, headers: { "content-type": "application/json", "x-hmac-signature": signature } }),
  );
  return { status: res.status };
}

async function postCloud(payload: Record<string, unknown>) {
  const raw = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", APP_SECRET).update(raw).digest("hex")}`;
  const res = await app.handle(
    new Request(`http://localhost/hooks/cloud/${cloud.id}`, {
      method: "POST",
      body: raw,
      headers: { "content-type": "application/json", "x-hub-signature-256": signature },
    }),
  );
  return res.status;
}

async function messageOf(instance: Instance, providerMessageId: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, providerMessageId)));
  return row!;
}

describe("media from real provider payloads", () => {
  test("WuzAPI inline base64: acknowledged without the download, the bytes stored once the worker ran", async () => {
    const payload = fixture("wuzapi/04-image-base64.json");
    const bytes = new Uint8Array(Buffer.from(payload.base64 as string, "base64"));
    const { status } = await postWuzapi(payload);
    expect(status).toBe(200);
    const message = await messageOf(wuzapi, payload.event.Info.ID);
    expect(message.media).toMatchObject({ status: "pending" });
    expect(JSON.stringify(message.media)).not.toContain((payload.base64 as string).slice(0, 40));
    await runMediaOnce();
    const row = await mediaRow(message.media!.mediaId as string);
    expect(row).toMatchObject({ status: "stored", sha256: sha256(bytes), size: bytes.byteLength, mimeType: "image/jpeg" });
    // A resent webhook keeps the one message and its one media row.
    expect((await postWuzapi(payload)).status).toBe(200);
    expect((await messageOf(wuzapi, payload.event.Info.ID)).media!.mediaId).toBe(row.id);
  });

  test("WuzAPI S3 link: fetched from the bucket URL", async () => {
    const payload = fixture("wuzapi/05-image-s3.json");
    payload.s3.url = `http://127.0.0.1:${port}/s3/${payload.s3.key}`;
    expect((await postWuzapi(payload)).status).toBe(200);
    await runMediaOnce();
    const message = await messageOf(wuzapi, payload.event.Info.ID);
    expect(await mediaRow(message.media!.mediaId as string)).toMatchObject({ status: "stored", sha256: sha256(PNG) });
    expect(seen.some((s) => s.path === `/s3/${payload.s3.key}`)).toBe(true);
  });

  test("Cloud media id: GET /{media-id}, then its url, both with the instance's token", async () => {
    const payload = fixture("cloud/03-image-media-id.json");
    expect(await postCloud(payload)).toBe(200);
    seen.length = 0;
    await runMediaOnce();
    const id = payload.entry[0].changes[0].value.messages[0].id as string;
    const message = await messageOf(cloud, id);
    const row = await mediaRow(message.media!.mediaId as string);
    // Meta declared image/jpeg in the webhook; the bytes are a PNG: recorded, and the PNG type served.
    expect(row).toMatchObject({ status: "stored", declaredMimeType: "image/jpeg", mimeType: "image/png", mimeMismatch: true });
    expect(seen.map((s) => s.path)).toEqual([`/graph/${JPEG_ID}`, `/lookaside/${JPEG_ID}`]);
    expect(seen.every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true);
  });

  test("Cloud webhook url: downloaded with the token", async () => {
    const payload = fixture("cloud/04-image-url.json");
    const image = payload.entry[0].changes[0].value.messages[0].image;
    image.url = `http://127.0.0.1:${port}/lookaside/${image.id}`;
    expect(await postCloud(payload)).toBe(200);
    await runMediaOnce();
    const message = await messageOf(cloud, payload.entry[0].changes[0].value.messages[0].id);
    expect(await mediaRow(message.media!.mediaId as string)).toMatchObject({ status: "stored", sha256: sha256(PNG) });
  });

  test("webhooks: message.received names the pending media, media.status carries a signed link the subscriber can fetch", async () => {
    const { key } = await setupOrgKey();
    const hook = await api(app, "POST", "/v1/webhooks", key, { url: subscriber.url, eventTypes: ["message.received", "media.status"] });
    expect(hook.status).toBe(201);
    subscriber.secrets.push(hook.body.secret);
    const payload = fixture("wuzapi/04-image-base64.json");
    payload.event.Info.ID = "3EB0WEBHOOKMEDIA01";
    expect((await postWuzapi(payload)).status).toBe(200);
    await runMediaOnce();
    await runDeliveriesOnce();
    await runDeliveriesOnce();
    const byType = new Map(subscriber.verified().map((r) => [r.payload.type as string, r.payload]));
    const received = byType.get("message.received");
    expect(received.data.message.media).toMatchObject({ status: "pending", mimeType: "image/jpeg" });
    expect(JSON.stringify(received)).not.toContain((payload.base64 as string).slice(0, 40));
    const status = byType.get("media.status");
    expect(status.data.media).toMatchObject({ id: received.data.message.media.mediaId, status: "stored", messageId: received.data.message.id });
    const link = new URL(status.data.media.url);
    const file = await app.handle(new Request(`http://localhost${link.pathname}${link.search}`));
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array(Buffer.from(payload.base64 as string, "base64")));
  });
});

const subscriber = startSubscriber();
afterAll(() => subscriber.stop());

/** An API key of the organization the instances belong to. */
async function setupOrgKey() {
  const { secret } = await createApiKey({ organizationId: wuzapi.organizationId!, name: "hooks", scopes: ["*"] });
  return { key: secret };
}
