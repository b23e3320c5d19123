import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { messages, type Instance } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import type { InboundMedia } from "@/providers/provider";
import { runMediaOnce } from "@/workers/media.worker";
import { setupOrg } from "../helpers/factories";
import { PNG, TEXT, useTempDataDir, wuzapiInstance } from "./fixtures";

/** The inbox renders the media store's files: thumbnails, players, downloads, and pending/failed states. */
const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let wuz: Instance;
let seq = 0;

beforeAll(async () => {
  useTempDataDir();
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
  wuz = await wuzapiInstance(org.organization.id);
});

async function receive(type: "image" | "audio" | "document" | "sticker" | "video", attachment: InboundMedia, from = "+5511988880001") {
  const providerMessageId = `INBOX-${++seq}`;
  await ingestInbound(wuz, { kind: "message", providerMessageId, from, type, attachment, timestamp: new Date() });
  const [message] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.instanceId, wuz.id), eq(messages.providerMessageId, providerMessageId)));
  return message!;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

async function thread(conversationId: string): Promise<string> {
  const res = await org.client.get(`/inbox/${conversationId}/messages`, { htmx: true });
  expect(res.status).toBe(200);
  return res.text();
}

describe("inbox media", () => {
  test("pending media says it is downloading; once stored the thumbnail, voice player and download link use signed same-origin links", async () => {
    const image = await receive("image", { source: { kind: "base64", data: b64(PNG) }, mimeType: "image/png", caption: "a foto" });
    let html = await thread(image.conversationId);
    expect(html).toContain('data-media-status="pending"');
    expect(html).toContain("Downloading media…");

    const voice = await receive("audio", { source: { kind: "base64", data: b64(TEXT) }, mimeType: "audio/ogg; codecs=opus", voice: true });
    const doc = await receive("document", { source: { kind: "base64", data: b64(TEXT) }, mimeType: "text/plain", fileName: "pedido.txt" });
    await runMediaOnce();
    html = await thread(image.conversationId);
    expect(html).toMatch(new RegExp(`<img src="/media/${image.media!.mediaId}\\?exp=\\d+&(amp;)?sig=[\\w-]+" alt="a foto"`));
    expect(html).toContain("a foto");
    expect(html).toMatch(new RegExp(`<audio controls="" preload="metadata" src="/media/${voice.media!.mediaId}\\?exp=`));
    expect(html).toContain("Voice message");
    expect(html).toContain(`href="/media/${doc.media!.mediaId}?exp=`);
    expect(html).toContain("Download pedido.txt");

    // The link in the page serves the file to the browser.
    const src = new RegExp(`src="(/media/${image.media!.mediaId}[^"]+)"`).exec(html)![1]!.replaceAll("&amp;", "&");
    const file = await org.client.get(src);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(PNG);
  });

  test("a failed download shows why", async () => {
    const max = config.media.maxBytes;
    config.media.maxBytes = 1024;
    try {
      const big = await receive("video", { source: { kind: "base64", data: b64(new Uint8Array(3000)) }, mimeType: "video/mp4" }, "+5511988880002");
      await runMediaOnce();
      const html = await thread(big.conversationId);
      expect(html).toContain('data-media-status="failed"');
      expect(html).toContain("Media unavailable");
      expect(html).toContain("1.0 KB");
    } finally {
      config.media.maxBytes = max;
    }
  });
});
