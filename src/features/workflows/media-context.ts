import { inArray } from "drizzle-orm";
import { db } from "@/db/client";
import { media as mediaTable, type messages } from "@/db/schema";
import { extractText, extractableKind } from "@/features/knowledge/extract";
import { readMedia } from "@/features/media/media.service";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";

/**
 * What a customer's messages mean to a model (issue 18 item 8): text as it is, an image as an image
 * part for a vision model (else a placeholder with its caption), a voice note as its stored transcript,
 * a document as its extracted text. The bytes come from the media feature's store (readMedia), never
 * refetched from a URL the tenant or provider chose.
 */

/** The columns of an inbound message this module reads. */
export type TurnMessage = Pick<typeof messages.$inferSelect, "id" | "type" | "body" | "media" | "transcript"> & { createdAt: Date | string };

/** A piece of the user's turn as the AI SDK takes it (`ai` UserContent). */
export type TurnPart = { type: "text"; text: string } | { type: "file"; data: Uint8Array; mediaType: string };

export type TurnInput = {
  /** The whole turn as text: what the thread keeps, what engines without parts (AST) and later turns read. */
  text: string;
  /** The same turn with images as image parts, when there is at least one (vision workflows only). */
  parts?: TurnPart[];
};

export const MEDIA_CONTEXT_LIMITS = {
  /** Images sent as parts per turn; further ones become placeholders (each costs the model many tokens). */
  imagesPerTurn: 4,
  /** An image larger than this is described by its placeholder instead (providers refuse ~5 MB and up). */
  imageBytes: 5 * 1024 * 1024,
  /** Characters of a document's extracted text the model sees. */
  documentChars: 8000,
  /** A document larger than this is not read (extraction of a huge PDF would hold the turn). */
  documentBytes: 10 * 1024 * 1024,
  /** How long a turn waits for a message's media that is still downloading before it answers without it. */
  mediaWaitMs: 60_000,
  /** How long a turn waits for a voice note's transcript before it answers with "[áudio sem transcrição]". */
  transcriptWaitMs: 120_000,
} as const;

/** Image types every vision API accepts. */
const VISION_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : undefined);
const captionOf = (m: TurnMessage) => str(m.media?.caption) ?? str(m.body);
const ageMs = (m: TurnMessage, now: Date) => now.getTime() - new Date(m.createdAt).getTime();

function placeholder(kind: "image" | "video" | "sticker" | "document", detail?: string): string {
  return detail ? tText(`media-context:${kind}With`, { detail }) : tText(`media-context:${kind}`);
}

/**
 * Whether one of the messages has media still downloading (recently sent): the turn should wait for it
 * a little, as it does for a voice note's transcript. Past `mediaWaitMs` it answers without it.
 */
export function awaitingMedia(pending: TurnMessage[], now = new Date()): boolean {
  return pending.some(
    (m) => (m.type === "image" || m.type === "document") && m.media?.status === "pending" && ageMs(m, now) < MEDIA_CONTEXT_LIMITS.mediaWaitMs,
  );
}

/**
 * The messages whose transcript a turn may still wait for: those younger than `transcriptWaitMs` (an
 * older voice note still being transcribed is answered as "[áudio sem transcrição]").
 */
export function transcriptWaitable(pending: TurnMessage[], now = new Date()): string[] {
  return pending.filter((m) => ageMs(m, now) < MEDIA_CONTEXT_LIMITS.transcriptWaitMs).map((m) => m.id);
}

/** The stored bytes of a message's media: the id its jsonb names, else the media row that names the message. */
async function storedBytes(messages: TurnMessage[]): Promise<Map<string, Awaited<ReturnType<typeof readMedia>>>> {
  const wanted = messages.filter((m) => m.type === "image" || m.type === "document");
  const out = new Map<string, Awaited<ReturnType<typeof readMedia>>>();
  if (wanted.length === 0) return out;
  const unnamed = wanted.filter((m) => !str(m.media?.mediaId)).map((m) => m.id);
  const byMessage = new Map<string, string>();
  if (unnamed.length > 0) {
    const rows = await db.select({ id: mediaTable.id, messageId: mediaTable.messageId }).from(mediaTable).where(inArray(mediaTable.messageId, unnamed));
    for (const r of rows) if (r.messageId) byMessage.set(r.messageId, r.id);
  }
  for (const m of wanted) {
    const mediaId = str(m.media?.mediaId) ?? byMessage.get(m.id);
    out.set(m.id, mediaId ? await readMedia(mediaId).catch(() => null) : null);
  }
  return out;
}

async function documentText(m: TurnMessage, content: NonNullable<Awaited<ReturnType<typeof readMedia>>>): Promise<string | null> {
  const fileName = content.fileName ?? str(m.media?.fileName);
  if (content.size > MEDIA_CONTEXT_LIMITS.documentBytes || !extractableKind(content.mimeType, fileName)) return null;
  try {
    const text = await extractText(content.bytes, content.mimeType, fileName);
    return text.length > MEDIA_CONTEXT_LIMITS.documentChars ? `${text.slice(0, MEDIA_CONTEXT_LIMITS.documentChars)}…` : text;
  } catch (err) {
    log.warn("document text extraction failed", { messageId: m.id, err });
    return null;
  }
}

/**
 * The model input of a turn made of these inbound messages (oldest first). `vision`: the workflow's
 * model takes images, which then arrive as image parts next to the text; otherwise (or past the limits)
 * an image is the placeholder "[imagem: legenda]".
 */
export async function turnInput(pending: TurnMessage[], opts: { vision: boolean }): Promise<TurnInput> {
  const bytes = await storedBytes(pending);
  const lines: string[] = [];
  const parts: TurnPart[] = [];
  let images = 0;
  const say = (line: string) => {
    lines.push(line);
    const last = parts.at(-1);
    if (last?.type === "text") last.text += `\n${line}`;
    else parts.push({ type: "text", text: line });
  };
  for (const m of pending) {
    const caption = captionOf(m);
    switch (m.type) {
      case "image": {
        const content = bytes.get(m.id);
        const usable =
          opts.vision &&
          content &&
          VISION_TYPES.has(content.mimeType) &&
          content.size <= MEDIA_CONTEXT_LIMITS.imageBytes &&
          images < MEDIA_CONTEXT_LIMITS.imagesPerTurn;
        if (usable) {
          images++;
          // The thread keeps the placeholder; the model gets the picture itself (and the caption as text).
          lines.push(placeholder("image", caption));
          // A file part with an image type (the SDK's replacement for its deprecated "image" part).
          parts.push({ type: "file", data: content.bytes, mediaType: content.mimeType });
          if (caption) parts.push({ type: "text", text: caption });
        } else {
          say(placeholder("image", caption));
        }
        break;
      }
      case "audio": {
        const transcript = str(m.transcript);
        say(transcript ?? tText("media-context:audioNoTranscript"));
        break;
      }
      case "document": {
        const content = bytes.get(m.id);
        const name = str(m.media?.fileName) ?? content?.fileName ?? undefined;
        const text = content ? await documentText(m, content) : null;
        say(placeholder("document", name));
        if (text) say(text);
        if (caption && caption !== name) say(caption);
        break;
      }
      case "video":
        say(placeholder("video", caption));
        break;
      case "sticker":
        say(placeholder("sticker"));
        break;
      default: {
        const text = str(m.transcript) ?? str(m.body);
        if (text) say(text);
      }
    }
  }
  return { text: lines.join("\n"), ...(images > 0 ? { parts } : {}) };
}

/** Whether the workflow's model takes images (its config's `vision` toggle). */
export function visionOf(config: Record<string, unknown>): boolean {
  return config.vision === true;
}
