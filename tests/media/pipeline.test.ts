import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { events, media, messages, type Instance } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { MEDIA_MAX_ATTEMPTS } from "@/features/media/media.service";
import { mediaDownloads } from "@/features/metrics/metrics";
import { contentKey } from "@/features/media/media.store";
import type { InboundEvent, InboundMedia } from "@/providers/provider";
import { runMediaOnce } from "@/workers/media.worker";
import { createOwner } from "../helpers/factories";
import { CLOUD, PNG, TEXT, cloudInstance, dueNow, mediaRow, sha256, useTempDataDir, wuzapiInstance } from "./fixtures";

/**
 * The inbound media pipeline against real local servers: a Graph API speaking the Cloud "Media"
 * protocol (GET /{media-id} → {url, mime_type, sha256, file_size}; the url needs the same Bearer token)
 * and a plain file host standing in for WuzAPI's S3 links. Bytes land in the disk store under DATA_DIR.
 */
const files = new Map<string, { bytes: Uint8Array; type: string }>();
const graphRequests: { path: string; auth: string | null }[] = [];
let flakyFailures = 0;

let port = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req): Response {
    const url = new URL(req.url);
    graphRequests.push({ path: url.pathname, auth: req.headers.get("authorization") });
    const graphMedia = /^\/v21\.0\/(media-\w+)$/.exec(url.pathname);
    if (graphMedia) {
      if (req.headers.get("authorization") !== `Bearer ${CLOUD.accessToken}`)
        return Response.json({ error: { message: "Invalid OAuth access token", code: 190 } }, { status: 401 });
      const file = files.get(graphMedia[1]!);
      if (!file) return Response.json({ error: { message: "Unsupported get request", code: 100 } }, { status: 400 });
      return Response.json({
        messaging_product: "whatsapp",
        url: `http://127.0.0.1:${port}/lookaside/${graphMedia[1]}`,
        mime_type: file.type,
        sha256: sha256(file.bytes),
        file_size: file.bytes.byteLength,
        id: graphMedia[1],
      });
    }
    const lookaside = /^\/lookaside\/(media-\w+)$/.exec(url.pathname);
    if (lookaside) {
      if (req.headers.get("authorization") !== `Bearer ${CLOUD.accessToken}`) return new Response("unauthorized", { status: 401 });
      const file = files.get(lookaside[1]!);
      return file ? new Response(file.bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": file.type } }) : new Response("gone", { status: 404 });
    }
    const s3 = /^\/bucket\/(.+)$/.exec(url.pathname);
    if (s3) {
      if (s3[1] === "flaky.png" && flakyFailures > 0) {
        flakyFailures--;
        return new Response("try later", { status: 503 });
      }
      if (s3[1] === "down.png") return new Response("down", { status: 502 });
      const file = files.get(s3[1]!);
      return file
        ? new Response(file.bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": file.type } })
        : new Response("no such key", { status: 404 });
    }
    return new Response("not found", { status: 404 });
  },
});
port = server.port!;
const base = `http://127.0.0.1:${port}`;

const app = createApp();
let organizationId: string;
let wuz: Instance;
let cloud: Instance;
let dataDir: string;
let seq = 0;

beforeAll(async () => {
  dataDir = useTempDataDir();
  config.cloudApiBase = `${base}/v21.0`;
  config.allowPrivateWebhookTargets = true;
  organizationId = (await createOwner()).organization.id;
  wuz = await wuzapiInstance(organizationId);
  cloud = await cloudInstance(organizationId);
});
afterAll(() => server.stop(true));

async function receive(
  instance: Instance,
  type: "image" | "audio" | "document" | "sticker" | "video",
  attachment: InboundMedia,
  providerMessageId = `WA-${++seq}`,
) {
  const event: InboundEvent = {
    kind: "message",
    providerMessageId,
    from: "+5511999990001",
    type,
    attachment,
    timestamp: new Date(),
  };
  const result = await ingestInbound(instance, event);
  if (result.kind !== "message") throw new Error("not a message result");
  const [message] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, providerMessageId)));
  return message!;
}

const mediaIdOf = (message: { media: Record<string, unknown> | null }) => message.media!.mediaId as string;

async function drain() {
  for (let i = 0; i < 5; i++) if ((await runMediaOnce()).jobs.length === 0) return;
}

async function statusEvents(mediaId: string) {
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.organizationId, organizationId), eq(events.type, "media.status")));
  return rows.filter((e) => (e.data as { media: { id: string } }).media.id === mediaId);
}

describe("inbound media: WuzAPI inline base64", () => {
  test("the webhook path spools the bytes, the message names a pending media row, and no base64 is stored in the message", async () => {
    const b64 = Buffer.from(PNG).toString("base64");
    const message = await receive(wuz, "image", { source: { kind: "base64", data: b64 }, mimeType: "image/png", caption: "foto" });
    expect(message.media).toMatchObject({ status: "pending", mimeType: "image/png", caption: "foto" });
    expect(JSON.stringify(message.media)).not.toContain(b64.slice(0, 40));
    const row = await mediaRow(mediaIdOf(message));
    expect(row).toMatchObject({ status: "pending", direction: "inbound", organizationId, instanceId: wuz.id, providerMessageId: message.providerMessageId });
    expect((row.source as { kind: string }).kind).toBe("spool");

    await drain();
    const stored = await mediaRow(row.id);
    expect(stored).toMatchObject({
      status: "stored",
      mimeType: "image/png",
      mimeMismatch: false,
      size: PNG.byteLength,
      sha256: sha256(PNG),
      messageId: message.id,
    });
    expect(stored.source).toBeNull();
    expect(existsSync(join(dataDir, "media", contentKey(sha256(PNG))))).toBe(true);
    // The spooled copy is gone once stored.
    expect(existsSync(join(dataDir, "media", (row.source as { key: string }).key))).toBe(false);

    const [updated] = await db.select().from(messages).where(eq(messages.id, message.id));
    expect(updated!.media).toMatchObject({ mediaId: row.id, status: "stored", size: PNG.byteLength });
    const [event] = await statusEvents(row.id);
    expect(event!.data).toMatchObject({ media: { id: row.id, status: "stored", messageId: message.id, mimeType: "image/png" } });
    const url = (event!.data as { media: { url: string } }).media.url;
    expect(url).toContain(`/media/${row.id}?exp=`);

    // The signed URL serves the bytes, same-origin, with a sandboxing CSP.
    const res = await app.handle(new Request(`http://localhost${new URL(url).pathname}${new URL(url).search}`));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);
  });

  test("identical bytes are stored once; a redelivered webhook reuses its media row", async () => {
    const b64 = Buffer.from(PNG).toString("base64");
    const first = await receive(wuz, "sticker", { source: { kind: "base64", data: b64 }, mimeType: "image/png" }, "WA-dedupe");
    const again = await receive(wuz, "sticker", { source: { kind: "base64", data: b64 }, mimeType: "image/png" }, "WA-dedupe");
    expect(mediaIdOf(again)).toBe(mediaIdOf(first));
    expect(
      await db
        .select()
        .from(media)
        .where(and(eq(media.instanceId, wuz.id), eq(media.providerMessageId, "WA-dedupe"))),
    ).toHaveLength(1);
    const other = await receive(wuz, "image", { source: { kind: "base64", data: `data:image/png;base64,${b64}` } });
    await drain();
    const [a, b] = [await mediaRow(mediaIdOf(first)), await mediaRow(mediaIdOf(other))];
    expect(a.status).toBe("stored");
    expect(b.status).toBe("stored");
    expect(a.storageKey).toBe(b.storageKey!);
    expect(a.id).not.toBe(b.id);
  });

  test("a declared type the bytes contradict is recorded, and the sniffed type is served", async () => {
    const message = await receive(wuz, "image", { source: { kind: "base64", data: Buffer.from(PNG).toString("base64") }, mimeType: "image/jpeg" });
    await drain();
    const row = await mediaRow(mediaIdOf(message));
    expect(row).toMatchObject({ status: "stored", declaredMimeType: "image/jpeg", mimeType: "image/png", mimeMismatch: true });
    // Unrecognizable bytes keep the declared type without a mismatch.
    const doc = await receive(wuz, "document", {
      source: { kind: "base64", data: Buffer.from(TEXT).toString("base64") },
      mimeType: "text/plain",
      fileName: "notes.txt",
    });
    await drain();
    expect(await mediaRow(mediaIdOf(doc))).toMatchObject({ status: "stored", mimeType: "text/plain", mimeMismatch: false, fileName: "notes.txt" });
  });

  test("inline media above MEDIA_MAX_BYTES is refused and recorded on its message, never spooled", async () => {
    const max = config.media.maxBytes;
    config.media.maxBytes = 1024;
    try {
      const big = new Uint8Array(4096).fill(7);
      const message = await receive(wuz, "document", { source: { kind: "base64", data: Buffer.from(big).toString("base64") }, mimeType: "application/pdf" });
      expect((await mediaRow(mediaIdOf(message))).source).toEqual({ kind: "too_large", size: 4096 });
      await drain();
      const row = await mediaRow(mediaIdOf(message));
      expect(row.status).toBe("failed");
      expect(row.attempts).toBe(1);
      expect(row.error).toContain("1.0 KB");
      const [updated] = await db.select().from(messages).where(eq(messages.id, message.id));
      expect(updated!.media).toMatchObject({ status: "failed", error: row.error });
      expect((await statusEvents(row.id))[0]!.data).toMatchObject({ media: { status: "failed", url: null } });
    } finally {
      config.media.maxBytes = max;
    }
  });
});

describe("inbound media: links and Cloud media ids", () => {
  test("a WuzAPI S3 link is fetched through the outbound guard", async () => {
    files.set("photo.png", { bytes: PNG, type: "image/png" });
    const message = await receive(wuz, "image", { source: { kind: "url", url: `${base}/bucket/photo.png` }, mimeType: "image/png" });
    await drain();
    expect(await mediaRow(mediaIdOf(message))).toMatchObject({ status: "stored", sha256: sha256(PNG) });
  });

  test("a private link is refused when private targets are not allowed", async () => {
    config.allowPrivateWebhookTargets = false;
    try {
      const message = await receive(wuz, "image", { source: { kind: "url", url: `${base}/bucket/photo.png` }, mimeType: "image/png" });
      await drain();
      const row = await mediaRow(mediaIdOf(message));
      expect(row.status).toBe("failed");
      expect(row.error).toContain("recusado"); // in the organization's language (pt-BR)
    } finally {
      config.allowPrivateWebhookTargets = true;
    }
  });

  test("a Cloud media id is resolved with GET /{media-id} and downloaded with the instance's token", async () => {
    files.set("media-voice1", { bytes: TEXT, type: "audio/ogg" });
    graphRequests.length = 0;
    const message = await receive(cloud, "audio", { source: { kind: "cloud_media", id: "media-voice1" }, mimeType: "audio/ogg; codecs=opus", voice: true });
    expect(message.media).toMatchObject({ voice: true, status: "pending" });
    await drain();
    const row = await mediaRow(mediaIdOf(message));
    expect(row).toMatchObject({
      status: "stored",
      sha256: sha256(TEXT),
      size: TEXT.byteLength,
      declaredMimeType: "audio/ogg; codecs=opus",
      mimeType: "audio/ogg",
    });
    expect(graphRequests.map((r) => r.path)).toEqual(["/v21.0/media-voice1", "/lookaside/media-voice1"]);
    expect(graphRequests.every((r) => r.auth === `Bearer ${CLOUD.accessToken}`)).toBe(true);
  });

  test("a Cloud webhook url is downloaded with the token too", async () => {
    files.set("media-doc1", { bytes: PNG, type: "image/png" });
    const message = await receive(cloud, "image", { source: { kind: "url", url: `${base}/lookaside/media-doc1` }, mimeType: "image/png" });
    await drain();
    expect(await mediaRow(mediaIdOf(message))).toMatchObject({ status: "stored" });
  });

  test("a file above MEDIA_MAX_BYTES is refused while streaming, without retries", async () => {
    const max = config.media.maxBytes;
    config.media.maxBytes = 1024;
    try {
      files.set("big.bin", { bytes: new Uint8Array(10_000).fill(1), type: "application/octet-stream" });
      const message = await receive(wuz, "document", { source: { kind: "url", url: `${base}/bucket/big.bin` } });
      await drain();
      const row = await mediaRow(mediaIdOf(message));
      expect(row).toMatchObject({ status: "failed", attempts: 1 });
      expect(row.error).toContain("1.0 KB");
      // Declared too large by the provider: refused before any download.
      const declared = await receive(cloud, "video", { source: { kind: "cloud_media", id: "media-huge" }, size: 50_000_000 });
      await drain();
      expect(await mediaRow(mediaIdOf(declared))).toMatchObject({ status: "failed", attempts: 1 });
    } finally {
      config.media.maxBytes = max;
    }
  });

  test("a failing download is retried with backoff, its error visible meanwhile, and then stored", async () => {
    files.set("flaky.png", { bytes: PNG, type: "image/png" });
    flakyFailures = 2;
    const downloads = async (outcome: string) =>
      (await mediaDownloads.get()).values.find((v) => v.labels.provider === "wuzapi" && v.labels.outcome === outcome)?.value ?? 0;
    const [retriesBefore, storedBefore] = [await downloads("retry"), await downloads("stored")];
    const message = await receive(wuz, "image", { source: { kind: "url", url: `${base}/bucket/flaky.png` } });
    const id = mediaIdOf(message);
    await runMediaOnce();
    let row = await mediaRow(id);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.error).toContain("503");
    expect(row.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 3000);
    // Not due yet: nothing is claimed.
    expect((await runMediaOnce()).jobs).toHaveLength(0);
    await dueNow(id);
    await runMediaOnce();
    expect(await mediaRow(id)).toMatchObject({ status: "pending", attempts: 2 });
    await dueNow(id);
    await runMediaOnce();
    row = await mediaRow(id);
    expect(row).toMatchObject({ status: "stored", attempts: 3, error: null });
    // livchat_media_downloads_total counts each attempt's outcome by provider.
    expect(await downloads("retry")).toBe(retriesBefore + 2);
    expect(await downloads("stored")).toBe(storedBefore + 1);
  });

  test("a download that keeps failing ends failed after the last attempt; a 404 fails at once", async () => {
    const message = await receive(wuz, "image", { source: { kind: "url", url: `${base}/bucket/down.png` } });
    const id = mediaIdOf(message);
    for (let i = 0; i < MEDIA_MAX_ATTEMPTS; i++) {
      await dueNow(id);
      await runMediaOnce();
    }
    const row = await mediaRow(id);
    expect(row).toMatchObject({ status: "failed", attempts: MEDIA_MAX_ATTEMPTS });
    expect(row.error).toContain(`${MEDIA_MAX_ATTEMPTS}`);
    const missing = await receive(wuz, "image", { source: { kind: "url", url: `${base}/bucket/nothing-here.png` } });
    await drain();
    expect(await mediaRow(mediaIdOf(missing))).toMatchObject({ status: "failed", attempts: 1 });
  });
});
