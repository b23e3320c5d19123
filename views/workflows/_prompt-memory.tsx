import { t } from "@/lib/i18n";
import { Badge, Time } from "../components/ui";

/** Memory's summary of a thread (threads.last_context): on the thread view and in the inbox's contact panel. */
export function ThreadSummary(props: { summary: string | null | undefined; at: Date | null | undefined; id?: string }) {
  if (!props.summary) return "";
  return (
    <section class="card thread-summary" id={props.id ?? "thread-summary"}>
      <link rel="stylesheet" href="/static/prompts.css" />
      <h2>{t("prompts:memory.summaryTitle")}</h2>
      <p class="muted small">
        {t("prompts:memory.summaryAt")} <Time at={props.at} />
      </p>
      <p class="pre-wrap" safe>
        {props.summary}
      </p>
      <p class="muted small">{t("prompts:memory.summarizedHint")}</p>
    </section>
  );
}

/** A turn's prompt version (assistant rows) and whether memory folded it into the summary. */
export function TurnMemoryBadges(props: { promptVersion: number | null; summarized: boolean }) {
  return (
    <>
      {props.promptVersion ? <Badge tone="muted">{t("prompts:threadView.promptVersion", { version: props.promptVersion })}</Badge> : ""}
      {props.summarized ? <Badge tone="warn">{t("prompts:memory.summarized")}</Badge> : ""}
    </>
  );
}

/**
 * The inbox's slot for the AI's memory of a conversation: loaded after the page (GET /inbox/:id/memory,
 * src/features/workflows/memory.pages.tsx) so the inbox needs nothing from workflows.
 */
export function AiMemorySlot(props: { conversationId: string }) {
  return <div id="ai-memory" hx-get={`/inbox/${props.conversationId}/memory`} hx-trigger="load" hx-swap="outerHTML"></div>;
}

/** What GET /inbox/:id/memory answers: the summary, or an empty slot when memory has none yet. */
export function AiMemory(props: { memory: { summary: string; at: Date | null } | null }) {
  if (!props.memory) return <div id="ai-memory"></div>;
  return (
    <details id="ai-memory" class="card ai-memory">
      <summary>{t("prompts:memory.summaryTitle")}</summary>
      <p class="muted small">
        {t("prompts:memory.summaryAt")} <Time at={props.memory.at} />
      </p>
      <p class="pre-wrap" safe>
        {props.memory.summary}
      </p>
    </details>
  );
}
