import type { Message } from "@/features/conversations/conversation.service";
import { formatDateTime, t, tText } from "@/lib/i18n";
import { Time } from "../components/ui";
import { Transcript } from "./_transcript";
import { hasStoredMediaRef, MediaAttachment } from "./_media";
import { LinkedText } from "./_links";

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
  interactive: "inbox:message.kinds.interactive",
  poll: "inbox:message.kinds.poll",
  order: "inbox:message.kinds.order",
  system: "inbox:message.kinds.system",
  unsupported: "inbox:message.kinds.unsupported",
} as const;

/** The stored preview of a non-text message starts with its type (`[image] caption`, see messagePreview); name it in the reader's language. */
export function previewText(preview: string | null): string {
  if (!preview) return "";
  // "[deleted]": the last message was deleted for everyone (messages' applyMessageDelete).
  return preview.replace(/^\[([a-z]+)\]/, (label, type: string) =>
    Object.hasOwn(KIND_KEYS, type) || type === "deleted" ? `[${tText(`inbox:message.previewKinds.${type}`)}]` : label,
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
            <p class="body">
              <LinkedText text={caption || body} />
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
            <p class="body">
              <LinkedText text={caption || body} />
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
      const name = str(media.name) || str(media.address) || body || (message.context?.live ? tText("inbox:message.live") : kind("location"));
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
    case "contact": {
      const cards = message.context?.contacts ?? [{ name: str(media.name) || body, phones: str(media.phone) ? [str(media.phone)] : [] }];
      return (
        <ul class="contact-cards">
          {cards.map((card) => (
            <li class="contact-card">
              <span safe>{`👤 ${card.name ?? ""}`}</span>{" "}
              <span class="muted small" safe>
                {card.phones.join(", ")}
              </span>
            </li>
          ))}
        </ul>
      );
    }
    case "reaction":
      return (
        <p class="body reaction" safe>
          {body || str(media.emoji) || tText("inbox:message.reactionRemoved")}
        </p>
      );
    case "poll": {
      const poll = message.context?.poll;
      // A vote (on the poll `pollId`): its choices when the provider decoded them, else said plainly that it cannot be read.
      if (poll?.pollId || poll?.encrypted || poll?.selected?.length) {
        return (
          <p class="body poll-vote muted" safe>
            {`🗳️ ${poll.selected?.length ? tText("inbox:message.poll.vote", { options: poll.selected.join(", ") }) : tText("inbox:message.poll.encryptedVote")}`}
          </p>
        );
      }
      return (
        <div class="poll">
          <p class="body" safe>{`📊 ${poll?.name ?? body}`}</p>
          <ul class="poll-options">
            {(poll?.options ?? []).map((option) => (
              <li safe>{option}</li>
            ))}
          </ul>
          {poll?.selectableCount && poll.selectableCount > 1 ? (
            <span class="muted small" safe>
              {tText("inbox:message.poll.choose", { count: poll.selectableCount })}
            </span>
          ) : (
            ""
          )}
        </div>
      );
    }
    case "order": {
      const order = (message.context?.order ?? {}) as Record<string, unknown>;
      const items = Array.isArray(order.product_items) ? order.product_items.length : (num(order.itemCount) ?? 0);
      return (
        <>
          <p class="body" safe>{`🛒 ${tText("inbox:message.order", { count: items })}`}</p>
          {body ? (
            <p class="body" safe>
              {body}
            </p>
          ) : (
            ""
          )}
        </>
      );
    }
    case "system":
      return (
        <p class="body system muted" safe>
          {`ℹ️ ${body || message.context?.system?.body || kind("system")}`}
        </p>
      );
    case "unsupported":
      // The Cloud API names a poll it does not deliver (unsupported.type "poll"): say so instead of a bare type.
      return (
        <p class="body unsupported muted" safe>
          {message.context?.rawType === "poll"
            ? `📊 ${tText("inbox:message.poll.notDelivered")}`
            : tText("inbox:message.unsupported", { rawType: message.context?.rawType ?? "?" })}
        </p>
      );
    default:
      return (
        <p class="body">
          <LinkedText text={body} />
        </p>
      );
  }
}

/**
 * The provider id of the message a reaction reacts to: ours carry it as `providerMessageId` (their
 * `messageId` is our id), a contact's as `messageId`. Null for a reaction of ours that failed to send:
 * that one stays a bubble of its own, so the failure shows.
 */
export function reactionTargetOf(message: Pick<Message, "type" | "media" | "direction" | "status">): string | null {
  if (message.type !== "reaction" || (message.direction === "outbound" && message.status === "failed")) return null;
  const media = (message.media ?? {}) as { messageId?: unknown; providerMessageId?: unknown };
  const target = typeof media.providerMessageId === "string" ? media.providerMessageId : media.messageId;
  return typeof target === "string" && target ? target : null;
}

/**
 * One message bubble. Its id is stable (`msg-<id>`) so a live update (new message or a receipt moving
 * the ticks) replaces it in place; `data-conversation-id` lets the page ignore other conversations.
 * A reaction names its target (`data-reacts-to`, matched against `data-provider-id`): while the target
 * is on the page the live script does not append it, the target's own bubble shows it.
 */
/** `senderName`: in a group conversation, the participant who wrote an inbound message. */
export function MessageBubble({
  message,
  quoted,
}: {
  message: Message & { senderName?: string | null; agentName?: string | null };
  quoted?: Pick<Message, "id" | "type" | "body">;
}) {
  const kind = message.isPrivateNote ? "note" : message.direction;
  const deleted = message.deletedAt !== null && message.deletedAt !== undefined;
  return (
    <div
      id={`msg-${message.id}`}
      class={`bubble bubble-${kind}${deleted ? " bubble-deleted" : ""}`}
      data-conversation-id={message.conversationId}
      data-status={message.status}
      data-provider-id={message.providerMessageId ?? undefined}
      data-reacts-to={reactionTargetOf(message) ?? undefined}
    >
      {message.isPrivateNote ? <span class="note-label">{t("inbox:message.privateNote")}</span> : ""}
      {/* The member who wrote it (reply or note), by name: never a bare "user". */}
      {message.agentName && message.direction === "outbound" ? (
        <span class="sender agent-name small" safe>
          {message.agentName}
        </span>
      ) : (
        ""
      )}
      {message.senderName && message.direction === "inbound" ? (
        <span class="sender small" safe>
          {message.senderName}
        </span>
      ) : (
        ""
      )}
      {message.context?.forwarded ? <span class="muted small forwarded">{t("inbox:message.forwarded")}</span> : ""}
      <QuoteBlock message={message} quoted={quoted} />
      <ReferralCard message={message} />
      {deleted ? <DeletedContent message={message} /> : <MessageContent message={message} />}
      <InteractiveChoice message={message} />
      <Transcript message={message} />
      <Reactions message={message} />
      <EditHistory message={message} />
      <span class="meta">
        <Time at={message.createdAt} />
        {message.sentBy && message.direction === "outbound" && !message.isPrivateNote && !message.agentName ? (
          <span class="muted" safe>{` · ${tText(`inbox:message.sentBy.${message.sentBy}`)}`}</span>
        ) : (
          ""
        )}
        {message.direction === "outbound" && !message.isPrivateNote ? <StatusTicks message={message} /> : ""}
      </span>
    </div>
  );
}

/** The message this one replies to: a link to its bubble with a preview when it is on the page. */
function QuoteBlock({ message, quoted }: { message: Message; quoted?: Pick<Message, "id" | "type" | "body"> }) {
  // A poll vote quotes nothing, but links to the poll it answers when that is on the page.
  if (!message.quotedProviderMessageId && !(quoted && message.type === "poll")) return "";
  const targetId = quoted?.id ?? message.replyToMessageId;
  const kindOf = (type: string) => (Object.hasOwn(KIND_KEYS, type) ? tText(KIND_KEYS[type as keyof typeof KIND_KEYS]) : "");
  const preview = quoted ? (quoted.body ?? "").replace(/\s+/g, " ").slice(0, 120) || kindOf(quoted.type) : "";
  const label = preview || tText(targetId ? "inbox:message.quote" : "inbox:message.quoteUnknown");
  return targetId ? (
    <a class="quote" href={`#msg-${targetId}`} data-quoted-id={targetId}>
      <span safe>{label}</span>
    </a>
  ) : (
    <span class="quote quote-unknown muted" safe>
      {label}
    </span>
  );
}

/** Click-to-WhatsApp ad (or post) that brought the contact: headline, text and a link to it. */
function ReferralCard({ message }: { message: Message }) {
  const referral = message.context?.referral;
  if (!referral) return "";
  const href = safeUrl(referral.sourceUrl);
  return (
    <div class="referral-card">
      <strong>{t("inbox:message.referral.title")}</strong>
      {str(referral.headline) ? (
        <span class="referral-headline" safe>
          {str(referral.headline)}
        </span>
      ) : (
        ""
      )}
      {str(referral.body) ? (
        <span class="muted small" safe>
          {str(referral.body)}
        </span>
      ) : (
        ""
      )}
      {href ? (
        <a href={href} target="_blank" rel="noopener noreferrer nofollow" class="small">
          {t("inbox:message.referral.open")}
        </a>
      ) : (
        ""
      )}
      {str(referral.ctwaClid) ? (
        <span class="muted small" safe>
          {tText("inbox:message.referral.clid", { id: str(referral.ctwaClid).slice(0, 24) })}
        </span>
      ) : (
        ""
      )}
    </div>
  );
}

/** A deleted message: marked so; the content kept for the audit trail (per the organization) stays readable behind a fold. */
function DeletedContent({ message }: { message: Message }) {
  const kept = message.body !== null || message.media !== null;
  return (
    <>
      <p class="body deleted-mark muted" safe>
        {`🚫 ${tText("inbox:message.deleted")}`}
      </p>
      {kept ? (
        <details class="deleted-content">
          <summary class="small muted">{t("inbox:message.deletedKept")}</summary>
          <MessageContent message={message} />
        </details>
      ) : (
        ""
      )}
    </>
  );
}

/** The payload id of a chosen button or list row, shown subtly (automation matches it); the catalog product asked about. */
function InteractiveChoice({ message }: { message: Message }) {
  const product = message.context?.product?.productRetailerId;
  if (product) {
    return (
      <span class="muted small interactive-id" safe>
        {tText("inbox:message.product", { id: product })}
      </span>
    );
  }
  const choice = message.context?.interactive;
  if (!choice?.id) return "";
  return (
    <span class="muted small interactive-id" safe>
      {tText(`inbox:message.interactive.${choice.kind}`, { id: choice.id })}
    </span>
  );
}

/** Reactions shown on the message they react to (one per party). */
function Reactions({ message }: { message: Message }) {
  const reactions = message.reactions ?? [];
  if (reactions.length === 0) return "";
  return (
    <span class="reactions" title={tText("inbox:message.reactions")}>
      {reactions.map((r) => (
        <span class="reaction-chip" safe>
          {r.emoji}
        </span>
      ))}
    </span>
  );
}

/** The "edited" mark; the earlier versions open in place, each with when it was replaced. */
function EditHistory({ message }: { message: Message }) {
  if (!message.editedAt) return "";
  const versions = message.previousVersions ?? [];
  return (
    <details class="edit-history">
      <summary class="small muted" safe>
        {`${tText("inbox:message.edited")} · ${formatDateTime(message.editedAt)}`}
      </summary>
      <p class="small muted">{t("inbox:message.previousVersions")}</p>
      <ol class="previous-versions">
        {versions.map((v) => (
          <li>
            <span safe>{v.body ?? ""}</span>{" "}
            <span class="muted small" safe>
              {tText("inbox:message.replacedAt", { at: formatDateTime(new Date(v.at)) })}
            </span>
          </li>
        ))}
      </ol>
    </details>
  );
}
