import type { Message } from "@/features/conversations/conversation.service";
import { t, tText } from "@/lib/i18n";
import { Time } from "../components/ui";
import { Transcript } from "./_transcript";
import { hasStoredMediaRef, MediaAttachment } from "./_media";

/** Only http(s) URLs become links or images: a `javascript:` URL from a payload must never be clickable. */
export function safeUrl(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 4096) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.toString() : null;
  } catch {
    return null;
  }
}

function num(value: unknown): number | null {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

const TICK_MARKS: Record<Message["status"], string> = { queued: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "⚠" };

/** WhatsApp-style status ticks for outbound messages (the error is shown for failures). */
export function StatusTicks({ message }: { message: Message }) {
  const label = tText(`inbox:message.ticks.${message.status}`);
  return (
    <span class={`ticks ticks-${message.status}`} title={label} data-status={message.status}>
      <span aria-hidden="true" safe>
        {TICK_MARKS[message.status]}
      </span>
      <span class="tick-label" safe>
        {message.status === "failed" && message.error ? tText("inbox:message.failedWith", { label, error: message.error }) : label}
      </span>
    </span>
  );
}

/** Catalog keys naming a message kind where no caption or file name does. */
const KIND_KEYS = {
  image: "inbox:message.kinds.image",
  sticker: "inbox:message.kinds.sticker",
  audio: "inbox:message.kinds.audio",
  video: "inbox:message.kinds.video",
  document: "inbox:message.kinds.document",
  location: "inbox:message.kinds.location",
  reaction: "inbox:message.kinds.reaction",
  contact: "inbox:message.kinds.contact",
} as const;

/** The stored preview of a non-text message starts with its type (`[image] caption`, see messagePreview); name it in the reader's language. */
export function previewText(preview: string | null): string {
  if (!preview) return "";
  return preview.replace(/^\[([a-z]+)\]/, (label, type: string) =>
    Object.hasOwn(KIND_KEYS, type) ? `[${tText(`inbox:message.previewKinds.${type}`)}]` : label,
  );
}

/** Media, location, contact cards and reactions rendered as links/thumbnails; text as text. */
function MessageContent({ message }: { message: Message }) {
  const media = (message.media ?? {}) as Record<string, unknown>;
  const body = message.body ?? "";
  const caption = str(media.caption);
  const kind = (type: keyof typeof KIND_KEYS) => tText(KIND_KEYS[type]);
  if (hasStoredMediaRef(message.type, message.media)) return <MediaAttachment type={message.type} media={message.media} text={caption || body} />;
  switch (message.type) {
    case "image":
    case "sticker": {
      const url = safeUrl(media.url);
      return (
        <>
          {url ? (
            <a href={url} target="_blank" rel="noopener noreferrer nofollow" class="media-link">
              <img src={url} alt={caption || kind(message.type)} loading="lazy" class="thumb" />
            </a>
          ) : (
            <span class="muted">{t("inbox:message.noPreview", { kind: kind(message.type) })}</span>
          )}
          {caption || body ? (
            <p class="body" safe>
              {caption || body}
            </p>
          ) : (
            ""
          )}
        </>
      );
    }
    case "audio":
    case "video":
    case "document": {
      const url = safeUrl(media.url);
      const label = str(media.fileName) || kind(message.type);
      return (
        <>
          {url ? (
            <a href={url} target="_blank" rel="noopener noreferrer nofollow" class="media-link" safe>
              {`${message.type === "document" ? "📄" : message.type === "audio" ? "🎤" : "🎬"} ${label}`}
            </a>
          ) : (
            <span class="muted" safe>
              {label}
            </span>
          )}
          {caption || body ? (
            <p class="body" safe>
              {caption || body}
            </p>
          ) : (
            ""
          )}
        </>
      );
    }
    case "location": {
      const lat = num(media.latitude);
      const lon = num(media.longitude);
      const name = str(media.name) || str(media.address) || kind("location");
      if (lat === null || lon === null)
        return (
          <p class="body" safe>
            {body || name}
          </p>
        );
      const href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
      return (
        <p class="body">
          <a href={href} target="_blank" rel="noopener noreferrer nofollow" safe>
            {`📍 ${name}`}
          </a>{" "}
          <span class="muted small" safe>{`${lat.toFixed(5)}, ${lon.toFixed(5)}`}</span>
        </p>
      );
    }
    case "contact":
      return (
        <p class="body" safe>
          {`👤 ${str(media.name) || body} ${str(media.phone)}`.trim()}
        </p>
      );
    case "reaction":
      return (
        <p class="body reaction" safe>
          {body || str(media.emoji) || kind("reaction")}
        </p>
      );
    default:
      return (
        <p class="body" safe>
          {body}
        </p>
      );
  }
}

/**
 * One message bubble. Its id is stable (`msg-<id>`) so a live update (new message or a receipt moving
 * the ticks) replaces it in place; `data-conversation-id` lets the page ignore other conversations.
 */
export function MessageBubble({ message }: { message: Message }) {
  const kind = message.isPrivateNote ? "note" : message.direction;
  return (
    <div id={`msg-${message.id}`} class={`bubble bubble-${kind}`} data-conversation-id={message.conversationId} data-status={message.status}>
      {message.isPrivateNote ? <span class="note-label">{t("inbox:message.privateNote")}</span> : ""}
      <MessageContent message={message} />
      <Transcript message={message} />
      <span class="meta">
        <Time at={message.createdAt} />
        {message.sentBy && message.direction === "outbound" && !message.isPrivateNote ? (
          <span class="muted" safe>{` · ${tText(`inbox:message.sentBy.${message.sentBy}`)}`}</span>
        ) : (
          ""
        )}
        {message.direction === "outbound" && !message.isPrivateNote ? <StatusTicks message={message} /> : ""}
      </span>
    </div>
  );
}
