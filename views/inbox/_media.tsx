import { config } from "@/config";
import { t, tText } from "@/lib/i18n";
import { formatBytes, signedMediaPath } from "@/lib/media-url";

type Kind = "image" | "sticker" | "audio" | "video" | "document";
const KINDS = new Set<string>(["image", "sticker", "audio", "video", "document"]);

/** A message's media jsonb names a file of the media store (`mediaId`): this view renders it. */
export function hasStoredMediaRef(type: string, media: Record<string, unknown> | null | undefined): media is Record<string, unknown> & { mediaId: string } {
  return KINDS.has(type) && typeof media?.mediaId === "string";
}

const str = (value: unknown) => (typeof value === "string" ? value : "");

/**
 * Inbound and uploaded media in a message bubble: an image thumbnail (opens the file), a sticker, an
 * audio player (a voice note says so), a video player, a document download; while the worker fetches
 * it a "downloading" line, and why when it failed or expired. Files are served through a signed
 * same-origin link (`/media/:id?exp=&sig=`), valid MEDIA_URL_TTL_SECONDS from this render.
 */
export function MediaAttachment({ type, media, text }: { type: string; media: Record<string, unknown> & { mediaId: string }; text: string }) {
  const kind = type as Kind;
  const status = str(media.status) || "pending";
  const label = str(media.fileName) || tText(`media:view.${media.voice ? "voice" : kind}`);
  const caption = text ? (
    <p class="body" safe>
      {text}
    </p>
  ) : (
    ""
  );
  if (status !== "stored") {
    const key = status === "failed" ? "media:view.failed" : status === "expired" ? "media:view.expired" : "media:view.pending";
    return (
      <>
        <p class={`media-state media-${status}`} data-media-status={status}>
          <span safe>{`${tText(key)} · ${label}`}</span>
          {status === "failed" && str(media.error) ? (
            <small class="error" safe>
              {str(media.error)}
            </small>
          ) : (
            ""
          )}
        </p>
        {caption}
      </>
    );
  }
  const src = signedMediaPath(media.mediaId).path;
  const mismatch = media.mimeMismatch === true;
  let body: JSX.Element;
  switch (kind) {
    case "image":
      body = (
        <a href={src} target="_blank" rel="noopener noreferrer" class="media-link">
          <img src={src} alt={text || label} loading="lazy" class="thumb" />
        </a>
      );
      break;
    case "sticker":
      body = <img src={src} alt={label} loading="lazy" class="sticker" />;
      break;
    case "audio":
      body = (
        <figure class="media-audio">
          <figcaption class="muted small" safe>
            {`${media.voice ? "🎤" : "🎵"} ${label}`}
          </figcaption>
          {/* biome-ignore lint/a11y/useMediaCaption: a contact's recording has no caption track; a voice note's transcript is shown under it */}
          <audio controls="" preload="metadata" src={src} />
        </figure>
      );
      break;
    case "video":
      // biome-ignore lint/a11y/useMediaCaption: a contact's video has no caption track to offer
      body = <video controls src={src} class={media.videoNote ? "video-note" : "video"} />;
      break;
    default:
      body = (
        <a href={src} download={str(media.fileName) || undefined} class="media-link">
          <span safe>{`📄 ${tText("media:view.download", { name: label })}`}</span>
        </a>
      );
  }
  return (
    <>
      {body}
      {mismatch ? (
        <small class="muted" safe>
          {tText("media:view.mismatch", { declared: str(media.declaredMimeType) })}
        </small>
      ) : (
        ""
      )}
      {caption}
    </>
  );
}

/** The reply box's file field: the file is sent as media, the text as its caption. */
export function ReplyAttachment() {
  return (
    <label class="reply-attach" for="reply-attachment">
      <span class="muted small">{t("media:view.attach")}</span>
      <input id="reply-attachment" type="file" name="attachment" title={tText("media:view.attachHint", { max: formatBytes(config.media.maxBytes) })} />
    </label>
  );
}
