import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, knowledgeCollections, knowledgeDocuments, media, messages, organizations, type Instance } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { sweepExpiredMedia, sweepOrphanedMedia } from "@/features/media/media.service";
import { contentKey } from "@/features/media/media.store";
import { signedMediaPath } from "@/lib/media-url";
import { runMediaOnce } from "@/workers/media.worker";
import { setupOrg } from "../helpers/factories";
import { PNG, TEXT, mediaRow, sha256, useTempDataDir, wuzapiInstance } from "./fixtures";

/** Settings → Media (retention days) and the sweeper that deletes older files, leaving an "expired" marker. */
const app = createApp();
let a: Awaited<ReturnType<typeof setupOrg>>;
let b: Awaited<ReturnType<typeof setupOrg>>;
let wuzA: Instance;
let wuzB: Instance;
let dataDir: string;
let seq = 0;

beforeAll(async () => {
  dataDir = useTempDataDir();
  a = await setupOrg(app);
  b = await setupOrg(app);
  wuzA = await wuzapiInstance(a.organization.id);
  wuzB = await wuzapiInstance(b.organization.id);
});

async function storedFile(instance: Instance, bytes: Uint8Array) {
  const providerMessageId = `RET-${++seq}`;
  await ingestInbound(instance, {
    kind: "message",
    providerMessageId,
    from: "+5511977770001",
    type: "document",
    attachment: { source: { kind: "base64", data: Buffer.from(bytes).toString("base64") }, mimeType: "application/octet-stream" },
    timestamp: new Date(),
  });
  await runMediaOnce();
  const [message] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, providerMessageId)));
  return { message: message!, mediaId: message!.media!.mediaId as string };
}

const age = (id: string, days: number) =>
  db
    .update(media)
    .set({ createdAt: new Date(Date.now() - days * 86_400_000) })
    .where(eq(media.id, id));

describe("Settings → Media", () => {
  test("admins set the retention in days; bad values are 422 with the reason; empty keeps media forever", async () => {
    const page = await a.client.get("/settings");
    expect(await page.text()).toContain('action="/settings/media"');
    for (const days of ["abc", "0", "1.5", "99999"]) {
      const res = await a.client.postForm("/settings/media", { days });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain("Enter a whole number of days between 1 and 3650, or leave it empty");
    }
    const saved = await a.client.postForm("/settings/media", { days: "30" });
    expect(saved.status).toBe(303);
    expect((await db.select().from(organizations).where(eq(organizations.id, a.organization.id)))[0]!.mediaRetentionDays).toBe(30);
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, a.organization.id), eq(auditLogs.action, "organization.media_retention_changed")));
    expect(audit[0]!.details).toEqual({ mediaRetentionDays: { from: null, to: 30 } });
    expect((await a.client.postForm("/settings/media", { days: "" })).status).toBe(303);
    expect((await db.select().from(organizations).where(eq(organizations.id, a.organization.id)))[0]!.mediaRetentionDays).toBeNull();
  });
});

describe("the retention sweeper", () => {
  test("media older than the organization's days is deleted and marked expired on its message; a file still used elsewhere stays", async () => {
    await db.update(organizations).set({ mediaRetentionDays: 7 }).where(eq(organizations.id, a.organization.id));
    const old = await storedFile(wuzA, TEXT);
    const shared = await storedFile(wuzA, PNG);
    const elsewhere = await storedFile(wuzB, PNG); // organization b keeps media forever
    const recent = await storedFile(wuzA, new TextEncoder().encode("recent file"));
    await age(old.mediaId, 8);
    await age(shared.mediaId, 8);
    await age(elsewhere.mediaId, 400);
    await age(recent.mediaId, 6);
    expect(existsSync(join(dataDir, "media", contentKey(sha256(TEXT))))).toBe(true);

    expect(await sweepExpiredMedia()).toBe(2);
    expect(await mediaRow(old.mediaId)).toMatchObject({ status: "expired", storageKey: null });
    expect(await mediaRow(shared.mediaId)).toMatchObject({ status: "expired" });
    expect(await mediaRow(elsewhere.mediaId)).toMatchObject({ status: "stored" });
    expect(await mediaRow(recent.mediaId)).toMatchObject({ status: "stored" });
    expect(existsSync(join(dataDir, "media", contentKey(sha256(TEXT))))).toBe(false);
    expect(existsSync(join(dataDir, "media", contentKey(sha256(PNG))))).toBe(true);

    const [message] = await db.select().from(messages).where(eq(messages.id, old.message.id));
    expect(message!.media).toMatchObject({ mediaId: old.mediaId, status: "expired" });
    const html = await (await a.client.get(`/inbox/${old.message.conversationId}/messages`, { htmx: true })).text();
    expect(html).toContain('data-media-status="expired"');
    // The API shows the expiry, and a signed link of the file no longer serves it.
    const shown = await a.client.get(`/v1/media/${old.mediaId}`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(await shown.json()).toMatchObject({ status: "expired", url: null });
    expect((await a.client.get(signedMediaPath(old.mediaId).path)).status).toBe(404);
    expect(await sweepExpiredMedia()).toBe(0);
  });
});

describe("files the knowledge base keeps", () => {
  test("an expired media file whose bytes a knowledge document also stores (same content) is not deleted", async () => {
    await db.update(organizations).set({ mediaRetentionDays: 7 }).where(eq(organizations.id, a.organization.id));
    const bytes = new TextEncoder().encode("tabela de preços 2026");
    const received = await storedFile(wuzA, bytes);
    const [collection] = await db
      .insert(knowledgeCollections)
      .values({ organizationId: a.organization.id, name: `FAQ ${++seq}` })
      .returning();
    await db.insert(knowledgeDocuments).values({
      organizationId: a.organization.id,
      collectionId: collection!.id,
      title: "precos.txt",
      source: "upload",
      mimeType: "text/plain",
      byteSize: bytes.byteLength,
      sha256: sha256(bytes),
      storageKey: contentKey(sha256(bytes)),
      status: "ready",
    });
    await age(received.mediaId, 8);
    expect(await sweepExpiredMedia()).toBe(1);
    expect(await mediaRow(received.mediaId)).toMatchObject({ status: "expired" });
    expect(existsSync(join(dataDir, "media", contentKey(sha256(bytes))))).toBe(true);
  });
});

describe("files of deleted organizations", () => {
  test("deleting an organization leaves its media rows ownerless; the sweeper deletes them and each file no other organization uses", async () => {
    const gone = await setupOrg(app);
    const goneWuz = await wuzapiInstance(gone.organization.id);
    const only = await storedFile(goneWuz, new TextEncoder().encode("only the deleted organization had this"));
    const shared = await storedFile(goneWuz, PNG);
    const keptByB = await storedFile(wuzB, PNG);
    const onlyKey = join(dataDir, "media", contentKey(sha256(new TextEncoder().encode("only the deleted organization had this"))));
    expect(existsSync(onlyKey)).toBe(true);

    await db.delete(organizations).where(eq(organizations.id, gone.organization.id));
    expect(await mediaRow(only.mediaId)).toMatchObject({ organizationId: null, deviceId: null, status: "stored" });

    expect(await sweepOrphanedMedia()).toBe(2);
    expect(await db.select().from(media).where(eq(media.id, only.mediaId))).toHaveLength(0);
    expect(await db.select().from(media).where(eq(media.id, shared.mediaId))).toHaveLength(0);
    expect(existsSync(onlyKey)).toBe(false);
    // The same bytes another organization stored stay for it.
    expect(existsSync(join(dataDir, "media", contentKey(sha256(PNG))))).toBe(true);
    expect(await mediaRow(keptByB.mediaId)).toMatchObject({ status: "stored" });
    expect(await sweepOrphanedMedia()).toBe(0);
  });
});
