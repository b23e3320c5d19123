import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances, media, messages, type Instance } from "@/db/schema";
import { OVERSIZED_HOOK_FACTOR, readOversizedWuzapiBody } from "@/features/inbound/oversized";
import { createOwner } from "../helpers/factories";

/**
 * A WuzAPI webhook whose inline media makes it larger than HOOKS_MAX_BODY_BYTES: the message is kept
 * (its media refused as too large, recorded on it) instead of the whole body being refused with a 413
 * that would lose it; the signature still covers every byte; past the ceiling it is a 413.
 */

const HMAC_KEY = "oversized-hmac-key-oversized-hmac-key-01234";
const LIMIT = 64 * 1024;
const app = createApp();
let instance: Instance;
const saved = { hooksMaxBodyBytes: config.hooksMaxBodyBytes, wuzapi: config.wuzapi };

beforeAll(async () => {
  config.hooksMaxBodyBytes = LIMIT;
  config.wuzapi = { ...config.wuzapi, url: "http://127.0.0.1:9", adminToken: "unused", hmacKey: HMAC_KEY };
  const organizationId = (await createOwner()).organization.id;
  [instance] = (await db
    .insert(instances)
    .values({ organizationId, name: "big", provider: "wuzapi", status: "connected", providerInstanceId: "big-user" })
    .returning()) as [Instance];
});

afterAll(() => {
  config.hooksMaxBodyBytes = saved.hooksMaxBodyBytes;
  config.wuzapi = saved.wuzapi;
});

/** A WuzAPI video message with `bytes` of inline base64 (what wmiau.go posts after downloading it). */
function videoPayload(id: string, bytes: number) {
  return {
    type: "Message",
    event: {
      Info: {
        ID: id,
        Chat: "5511977776666@s.whatsapp.net",
        Sender: "5511977776666@s.whatsapp.net",
        IsFromMe: false,
        IsGroup: false,
        PushName: "Lia",
        Timestamp: "2026-01-04T12:00:00Z",
      },
      Message: { videoMessage: { mimetype: "video/mp4", caption: 'olha só "isso" — é grande', fileLength: bytes, seconds: 95 } },
    },
    base64: Buffer.alloc(bytes, 7).toString("base64"),
    mimeType: "video/mp4",
    fileName: `${id}.mp4`,
  };
}

const sign = (raw: string) => createHmac("sha256", HMAC_KEY).update(raw).digest("hex");
const post = (raw: string, contentType: string, signature = sign(raw)) =>
  app.handle(
    new Request("http://localhost/hooks/wuzapi", { method: "POST", body: raw, headers: { "content-type": contentType, "x-hmac-signature": signature } }),
  );
const stored = async (id: string) =>
  (
    await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, id)))
  )[0];

describe("WuzAPI bodies over HOOKS_MAX_BODY_BYTES", () => {
  test("JSON: the message is stored with its caption, the media refused as too large and recorded on it", async () => {
    const raw = JSON.stringify({ ...videoPayload("BIG-1", 300_000), userID: "big-user" });
    expect(raw.length).toBeGreaterThan(LIMIT);
    const res = await post(raw, "application/json");
    expect(res.status).toBe(200);
    const row = (await stored("BIG-1"))!;
    expect(row).toMatchObject({ type: "video", body: 'olha só "isso" — é grande', media: { mimeType: "video/mp4", seconds: 95 } });
    expect(JSON.stringify(row.media)).not.toContain("BwcH");
    const [file] = await db
      .select()
      .from(media)
      .where(and(eq(media.instanceId, instance.id), eq(media.providerMessageId, "BIG-1")));
    expect(file!.source).toMatchObject({ kind: "too_large", size: Buffer.byteLength(raw) });
    expect(row.media!.mediaId).toBe(file!.id);
  });

  test("the default form format (jsonData, userID) is streamed the same way", async () => {
    const raw = new URLSearchParams({ jsonData: JSON.stringify(videoPayload("BIG-2", 200_000)), userID: "big-user", instanceName: "livchat" }).toString();
    expect((await post(raw, "application/x-www-form-urlencoded")).status).toBe(200);
    expect(await stored("BIG-2")).toMatchObject({ type: "video", body: 'olha só "isso" — é grande' });
    const [file] = await db
      .select()
      .from(media)
      .where(and(eq(media.instanceId, instance.id), eq(media.providerMessageId, "BIG-2")));
    expect(file!.source).toMatchObject({ kind: "too_large" });
  });

  test("the signature still covers every byte: a wrong one is a 401 and nothing is stored", async () => {
    const raw = JSON.stringify({ ...videoPayload("BIG-3", 300_000), userID: "big-user" });
    expect((await post(raw, "application/json", "0".repeat(64))).status).toBe(401);
    expect(await stored("BIG-3")).toBeUndefined();
  });

  test("past the ceiling (HOOKS_MAX_BODY_BYTES × factor) the read stops with a 413", async () => {
    const raw = JSON.stringify({ ...videoPayload("BIG-4", (LIMIT * OVERSIZED_HOOK_FACTOR * 3) / 4 + 1024), userID: "big-user" });
    const res = await post(raw, "application/json");
    expect(res.status).toBe(413);
    expect(await stored("BIG-4")).toBeUndefined();
  });

  test("the reduced copy stays valid JSON whatever the chunk boundaries (escapes split across chunks)", async () => {
    const long = `${'\\u00e9\\"'.repeat(3000)}${"x".repeat(10_000)}`;
    const text = `{"a":"${long}","b":"short \\"q\\"","n":[1,2,{"c":"${"y".repeat(5000)}"}]}`;
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const body = await readOversizedWuzapiBody({
      prefix: [],
      reader: stream.getReader(),
      contentType: "application/json",
      hmacKey: HMAC_KEY,
      signature: createHmac("sha256", HMAC_KEY).update(text).digest("hex"),
      ceiling: 10_000_000,
    });
    if (!body.ok) throw new Error("refused");
    expect(body.signed).toBe(true);
    expect(body.cut).toBe(true);
    const parsed = JSON.parse(body.text);
    expect(parsed.b).toBe('short "q"');
    expect(parsed.a.length).toBeLessThanOrEqual(4096);
    expect(parsed.a.startsWith('é"é"')).toBe(true);
    expect(parsed.n[2].c.length).toBe(4096);
  });
});
