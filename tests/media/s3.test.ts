import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "bun";
import { and, eq } from "drizzle-orm";
import S3rver from "s3rver";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { media, messages, organizations, type Instance } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { sweepExpiredMedia } from "@/features/media/media.service";
import { contentKey, mediaStore } from "@/features/media/media.store";
import { signedMediaPath } from "@/lib/media-url";
import { runMediaOnce } from "@/workers/media.worker";
import { setupOrg } from "../helpers/factories";
import { PNG, mediaRow, sha256, useTempDataDir, wuzapiInstance } from "./fixtures";

/**
 * The media store on an S3-compatible bucket: s3rver (a real S3 server speaking the REST protocol with
 * SigV4) on 127.0.0.1, reached through Bun's built-in S3Client exactly as a deployment with S3_* set.
 */
const BUCKET = "livchat-media";
const s3server = new S3rver({
  port: 0,
  address: "127.0.0.1",
  silent: true,
  directory: mkdtempSync(join(tmpdir(), "s3rver-")),
  configureBuckets: [{ name: BUCKET }],
});
let client: S3Client;

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let wuz: Instance;

beforeAll(async () => {
  const address = await s3server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const settings = { bucket: BUCKET, endpoint, region: "us-east-1", accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  config.media.s3 = settings;
  client = new S3Client(settings);
  useTempDataDir();
  org = await setupOrg(app);
  wuz = await wuzapiInstance(org.organization.id);
});
afterAll(async () => {
  config.media.s3 = undefined;
  await s3server.close();
});

describe("media store on S3", () => {
  test("inline media is spooled to the bucket, stored under its sha256, served through the signed link, and deleted by retention", async () => {
    expect(mediaStore().kind).toBe("s3");
    await ingestInbound(wuz, {
      kind: "message",
      providerMessageId: "S3-1",
      from: "+5511966660001",
      type: "image",
      attachment: { source: { kind: "base64", data: Buffer.from(PNG).toString("base64") }, mimeType: "image/png" },
      timestamp: new Date(),
    });
    const [message] = await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, wuz.id), eq(messages.providerMessageId, "S3-1")));
    const id = message!.media!.mediaId as string;
    const spool = ((await mediaRow(id)).source as { key: string }).key;
    expect(await client.exists(spool)).toBe(true);

    await runMediaOnce();
    const row = await mediaRow(id);
    expect(row).toMatchObject({ status: "stored", storageKey: contentKey(sha256(PNG)), mimeType: "image/png" });
    expect(await client.exists(contentKey(sha256(PNG)))).toBe(true);
    expect(await client.exists(spool)).toBe(false);
    expect(new Uint8Array(await client.file(contentKey(sha256(PNG))).arrayBuffer())).toEqual(PNG);

    const res = await app.handle(new Request(`http://localhost${signedMediaPath(id).path}`));
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);

    await db.update(organizations).set({ mediaRetentionDays: 1 }).where(eq(organizations.id, org.organization.id));
    await db
      .update(media)
      .set({ createdAt: new Date(Date.now() - 2 * 86_400_000) })
      .where(eq(media.id, id));
    expect(await sweepExpiredMedia()).toBe(1);
    expect(await client.exists(contentKey(sha256(PNG)))).toBe(false);
  });

  test("an upload goes to the bucket too", async () => {
    const form = new FormData();
    form.set("file", new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }), "up.png");
    const res = await app.handle(new Request("http://localhost/v1/media", { method: "POST", body: form, headers: { authorization: `Bearer ${org.key}` } }));
    expect(res.status).toBe(201);
    expect(await client.exists(contentKey(sha256(PNG)))).toBe(true);
  });
});
