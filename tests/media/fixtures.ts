import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances, media, type Instance } from "@/db/schema";
import { encryptSecret } from "@/lib/crypto";
import { encryptCloudConfig } from "@/providers";

/** A 1×1 PNG (what file-type recognizes as image/png). */
export const PNG = new Uint8Array(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64"));
/** Bytes file-type does not recognize (plain text): the declared type is kept. */
export const TEXT = new TextEncoder().encode("plain text attachment, nothing to sniff\n");

export const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** Every media test writes its store under its own temporary DATA_DIR. */
export function useTempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "livchat-media-"));
  config.dataDir = dir;
  return dir;
}

export const CLOUD = { phoneNumberId: "106540352242922", accessToken: "EAAG-media-token", appSecret: "cloud-app-secret", verifyToken: "verify" };
export const WUZAPI_TOKEN = "wuzapi-user-token-for-media";

export async function wuzapiInstance(organizationId: string, name = "WuzAPI"): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({ organizationId, name, provider: "wuzapi", status: "connected", providerInstanceId: "u1", providerTokenEnc: encryptSecret(WUZAPI_TOKEN) })
    .returning();
  return row!;
}

export async function cloudInstance(organizationId: string, name = "Cloud"): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({ organizationId, name, provider: "cloud", status: "connected", providerConfig: encryptCloudConfig(CLOUD) })
    .returning();
  return row!;
}

export async function mediaRow(id: string) {
  const [row] = await db.select().from(media).where(eq(media.id, id));
  return row!;
}

/** Makes a retried download due now (the worker compares next_attempt_at with the database clock). */
export async function dueNow(id: string) {
  await db
    .update(media)
    .set({ nextAttemptAt: new Date(Date.now() - 1000) })
    .where(eq(media.id, id));
}
