import Html from "@kitajs/html";
import type { Message } from "@/features/conversations/conversation.service";
import { t } from "@/lib/i18n";

/**
 * What a voice note or audio says, under its player, once the organization's transcription produced
 * it; or that it has none, with why (in the organization's language) on hover, when transcription failed.
 */
export function Transcript({ message }: { message: Pick<Message, "id" | "transcript" | "media"> }) {
  const text = message.transcript?.trim();
  if (text) {
    return (
      <div class="transcript" id={`transcript-${message.id}`}>
        <span class="muted small">{t("transcription:inbox.label")}</span>
        <p class="body" safe>
          {text}
        </p>
      </div>
    );
  }
  const failure = message.media?.transcription as { status?: unknown; error?: unknown } | undefined;
  if (failure?.status !== "failed") return "";
  return (
    <div
      class="transcript transcript-failed"
      id={`transcript-${message.id}`}
      title={typeof failure.error === "string" ? Html.escapeHtml(failure.error) : undefined}
    >
      <span class="muted small">{t("transcription:inbox.failed")}</span>
    </div>
  );
}
