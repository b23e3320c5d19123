import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { media, type Instance } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import type { InboundMediaSource } from "@/providers/provider";
import { saveTranscriptionSettings } from "@/features/transcription/transcription.settings";
import { transcriptionSettingsSchema } from "@/features/transcription/transcription.schema";
import { wireFeatures } from "@/routes";
import { runMediaOnce } from "@/workers/media.worker";
import { memberCaller } from "../helpers/factories";

let seq = 0;

/** Turns transcription on for an organization as its owner would (the settings form's schema and service). */
export async function enableTranscription(organizationId: string, userId: string, extra: Record<string, string> = {}) {
  return saveTranscriptionSettings(memberCaller(userId, organizationId, "owner"), transcriptionSettingsSchema.parse({ enabled: "on", ...extra }));
}

/** Bytes that stand for a voice note (no container magic, so the stored type is the declared one). */
export function voiceBytes(label = "voice"): Uint8Array {
  return new TextEncoder().encode(`${label}-${++seq}-${"x".repeat(64)}`);
}

/**
 * A contact sends a voice note through the real inbound pipeline, its audio inline (base64, WuzAPI's
 * default) unless `source` says where else it is; waits for the inbound hooks. The media worker has
 * not run yet: the audio is pending until `mediaWorkerRuns()`.
 */
export async function contactSendsVoiceNote(
  instance: Instance,
  from: string,
  opts: { bytes?: Uint8Array; mimeType?: string; source?: InboundMediaSource } = {},
) {
  wireFeatures();
  const bytes = opts.bytes ?? voiceBytes();
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `voice-${Date.now()}-${++seq}`,
    from,
    type: "audio",
    attachment: {
      source: opts.source ?? { kind: "base64", data: Buffer.from(bytes).toString("base64") },
      mimeType: opts.mimeType ?? "audio/ogg; codecs=opus",
      voice: true,
    },
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.message) throw new Error("the voice note was not stored");
  await result.hooks;
  return Object.assign(result.message, { bytes });
}

/** One pass of the media worker: pending files are fetched and stored, and transcription is told. */
export async function mediaWorkerRuns() {
  await runMediaOnce();
}

/** Where the media store keeps a message's audio. */
export async function storageKeyOf(messageId: string): Promise<string> {
  const [row] = await db.select({ key: media.storageKey }).from(media).where(eq(media.messageId, messageId));
  if (!row?.key) throw new Error("the audio is not stored");
  return row.key;
}
