import { and, eq } from "drizzle-orm";
import { createHash } from "node:crypto";
import { db } from "@/db/client";
import { media, messages, type Instance } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { contentKey, mediaStore } from "@/features/media/media.store";
import { mediaSettled } from "@/features/transcription/transcription.service";
import { saveTranscriptionSettings } from "@/features/transcription/transcription.settings";
import { transcriptionSettingsSchema } from "@/features/transcription/transcription.schema";
import { wireFeatures } from "@/routes";

let seq = 0;

/** Turns transcription on for an organization as its owner would (the settings form's schema and service). */
export async function enableTranscription(organizationId: string, userId: string, extra: Record<string, string> = {}) {
  return saveTranscriptionSettings(organizationId, { userId, role: "owner" }, transcriptionSettingsSchema.parse({ enabled: "on", ...extra }));
}

/** Bytes that stand for an Opus voice note (the endpoint under test reads them as opaque audio). */
export function voiceBytes(label = "voice"): Uint8Array {
  const header = new TextEncoder().encode("OggS");
  const body = new TextEncoder().encode(`${label}-${++seq}-${"x".repeat(64)}`);
  const bytes = new Uint8Array(header.length + body.length);
  bytes.set(header);
  bytes.set(body, header.length);
  return bytes;
}

/** A contact sends a voice note through the real inbound pipeline; waits for the inbound hooks. */
export async function contactSendsVoiceNote(instance: Instance, from: string) {
  wireFeatures();
  const providerMessageId = `voice-${Date.now()}-${++seq}`;
  const result = await ingestInbound(instance, { kind: "message", providerMessageId, from, type: "audio", timestamp: new Date() });
  if (result.kind !== "message" || !result.message) throw new Error("the voice note was not stored");
  await result.hooks;
  return result.message;
}

/**
 * The media feature stored the voice note's audio: its row and bytes in the media store, then the
 * hook the media worker calls when a file is stored.
 */
export async function audioStored(instance: Instance, messageId: string, bytes: Uint8Array, mimeType = "audio/ogg; codecs=opus") {
  const [message] = await db.select().from(messages).where(eq(messages.id, messageId));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const key = contentKey(sha256);
  await mediaStore().put(key, bytes, mimeType);
  const existing = await db
    .select({ id: media.id })
    .from(media)
    .where(and(eq(media.instanceId, instance.id), eq(media.providerMessageId, message!.providerMessageId!)));
  const values = {
    status: "stored" as const,
    mimeType: mimeType.split(";")[0]!,
    declaredMimeType: mimeType,
    sha256,
    storageKey: key,
    size: bytes.byteLength,
    storedAt: new Date(),
  };
  if (existing[0]) await db.update(media).set(values).where(eq(media.id, existing[0].id));
  else
    await db.insert(media).values({
      organizationId: instance.organizationId,
      instanceId: instance.id,
      direction: "inbound",
      providerMessageId: message!.providerMessageId,
      messageId,
      ...values,
    });
  await mediaSettled(messageId, "stored");
  return key;
}
