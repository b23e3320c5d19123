import type { Message } from "@/features/conversations/conversation.service";
import { t } from "@/lib/i18n";

/** What a voice note or audio says, under its player, once the organization's transcription produced it. */
export function Transcript({ message }: { message: Pick<Message, "id" | "transcript"> }) {
  const text = message.transcript?.trim();
  if (!text) return "";
  return (
    <div class="transcript" id={`transcript-${message.id}`}>
      <span class="muted small">{t("transcription:inbox.label")}</span>
      <p class="body" safe>
        {text}
      </p>
    </div>
  );
}
