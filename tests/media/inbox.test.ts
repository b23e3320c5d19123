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
import { PNG, TEXT, mediaRow, useTempDataDir, wuzapiInstance } from "./fixtures";

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

  test("the reply box sends an attachment (uploaded to the media store) with the text as its caption", async () => {
    const conversation = (await receive("image", { source: { kind: "base64", data: b64(PNG) }, mimeType: "image/png" }, "+5511988880003")).conversationId;
    const page = await (await org.client.get(`/inbox/${conversation}`)).text();
    expect(page).toContain('enctype="multipart/form-data"');
    expect(page).toContain('name="attachment"');

    const form = new FormData();
    form.set("body", "segue o comprovante");
    form.set("kind", "reply");
    form.set("attachment", new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }), "comprovante.png");
    const res = await org.client.request(`/inbox/${conversation}/reply`, { method: "POST", body: form, htmx: true });
    expect(res.status).toBe(200);
    const [sent] = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversation), eq(messages.direction, "outbound")));
    expect(sent).toMatchObject({ type: "image", body: "segue o comprovante", status: "queued", sentBy: "user" });
    expect(sent!.media).toMatchObject({ caption: "segue o comprovante", fileName: "comprovante.png", mimeType: "image/png", status: "stored" });
    const upload = await mediaRow(sent!.media!.mediaId as string);
    expect(upload).toMatchObject({ direction: "upload", status: "stored", organizationId: org.organization.id });

    // An attachment alone is fine; a note cannot carry one; a file over the limit is refused with the reason.
    const alone = new FormData();
    alone.set("body", "");
    alone.set("attachment", new Blob([TEXT as Uint8Array<ArrayBuffer>], { type: "text/plain" }), "notes.txt");
    expect((await org.client.request(`/inbox/${conversation}/reply`, { method: "POST", body: alone, htmx: true })).status).toBe(200);
    const note = new FormData();
    note.set("body", "interno");
    note.set("kind", "note");
    note.set("attachment", new Blob([TEXT as Uint8Array<ArrayBuffer>], { type: "text/plain" }), "n.txt");
    const refused = await org.client.request(`/inbox/${conversation}/reply`, { method: "POST", body: note, htmx: true });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("Private notes take no attachments");
    const max = config.media.maxBytes;
    config.media.maxBytes = 1024;
    try {
      const big = new FormData();
      big.set("body", "grande");
      big.set("attachment", new Blob([new Uint8Array(4096)]), "big.bin");
      const tooBig = await org.client.request(`/inbox/${conversation}/reply`, { method: "POST", body: big, htmx: true });
      expect(tooBig.status).toBe(422);
      expect(await tooBig.text()).toContain("The file is larger than the 1.0 KB limit");
    } finally {
      config.media.maxBytes = max;
    }
    const outbound = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversation), eq(messages.direction, "outbound")));
    expect(outbound.map((m) => m.type).sort()).toEqual(["document", "image"]);
  });
});
