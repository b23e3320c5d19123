import type { Conversation } from "@/features/conversations/conversation.service";
import { t } from "@/lib/i18n";
import { Badge } from "../components/ui";

const TONE = { positive: "ok", neutral: "muted", negative: "bad" } as const;

/**
 * The conversation's latest sentiment and urgency (one-line include in the inbox list and header);
 * nothing when it was never classified. The reason shows on hover.
 */
export function SentimentBadge({ conversation }: { conversation: Pick<Conversation, "sentiment" | "urgency" | "sentimentReason"> }) {
  const { sentiment, urgency } = conversation;
  if (!sentiment) return "";
  return (
    <span class="sentiment-badges" title={conversation.sentimentReason ?? undefined} data-sentiment={sentiment} data-urgency={urgency ?? undefined}>
      <Badge tone={TONE[sentiment]}>{t(`suggestions:sentiment.badge.${sentiment}`)}</Badge>
      {urgency && urgency !== "low" ? <Badge tone={urgency === "high" ? "bad" : "warn"}>{t(`suggestions:sentiment.urgency.${urgency}`)}</Badge> : ""}
    </span>
  );
}
