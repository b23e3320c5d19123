import type { AdminContext } from "@/auth/plugin";
import type { toPublicThread, toPublicThreadMessage } from "@/features/workflows/thread.service";
import { formatNumber, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time } from "../components/ui";
import { ThreadSummary, TurnMemoryBadges } from "./_prompt-memory";

type PublicMessage = ReturnType<typeof toPublicThreadMessage>;

/** A `tool` line as recordTurn stores it: `{tool, input, output|error}`; anything else is shown as text. */
export function parseToolLine(content: string): { tool: string; input: unknown; output?: unknown; error?: string } | null {
  try {
    const parsed = JSON.parse(content) as { tool?: unknown };
    return parsed && typeof parsed.tool === "string" ? (parsed as { tool: string; input: unknown; output?: unknown; error?: string }) : null;
  } catch {
    return null;
  }
}

const json = (value: unknown) => JSON.stringify(value ?? null, null, 1);

/** One tool call of a turn: the tool's name, what the model asked and what came back (or why it failed). */
export function ToolCall({ content }: { content: string }) {
  const call = parseToolLine(content);
  if (!call) return <pre safe>{content}</pre>;
  return (
    <details class="tool-call">
      <summary>
        {t("workflows:threadView.toolCalled")} <code safe>{call.tool}</code>{" "}
        {call.error ? <Badge tone="warn">{t("workflows:threadView.toolFailed")}</Badge> : ""}
      </summary>
      <p class="muted small">{t("workflows:threadView.toolInput")}</p>
      <pre safe>{json(call.input)}</pre>
      <p class="muted small">{t(call.error ? "workflows:threadView.toolError" : "workflows:threadView.toolOutput")}</p>
      <pre safe>{call.error ?? json(call.output)}</pre>
    </details>
  );
}

/** A thread's transcript: user and assistant turns, the tool calls between them, tokens per answer. */
export function ThreadView(props: {
  admin: AdminContext;
  csrfToken: string;
  thread: ReturnType<typeof toPublicThread>;
  workflow: { id: string; name: string };
  messages: PublicMessage[];
}) {
  const title = props.thread.title ?? props.thread.id.slice(0, 8);
  return (
    <AdminLayout title={title} admin={props.admin} csrfToken={props.csrfToken} active="workflows">
      <p>
        <a href={`/workflows/${props.workflow.id}`} safe>
          {tText("workflows:threadView.back", { name: props.workflow.name })}
        </a>
      </p>
      <h1 safe>{title}</h1>
      <ThreadSummary summary={props.thread.lastContext} at={props.thread.lastContextAt} />
      {props.messages.length === 0 ? (
        <EmptyState>{t("workflows:threadView.empty")}</EmptyState>
      ) : (
        <ol class="thread-log">
          {props.messages.map((m) => (
            <li class={`thread-line role-${m.role}`}>
              <p class="row small">
                <Badge tone={m.role === "tool" ? "warn" : m.role === "assistant" ? "ok" : "muted"}>{t(`workflows:threadView.roles.${m.role}`)}</Badge>
                <Time at={m.at} />
                {m.tokens ? <span class="muted">{t("workflows:threadView.tokens", { count: formatNumber(m.tokens) })}</span> : ""}
                <TurnMemoryBadges promptVersion={m.promptVersion} summarized={m.summarized} />
              </p>
              {m.role === "tool" ? <ToolCall content={m.content} /> : <p safe>{m.content}</p>}
            </li>
          ))}
        </ol>
      )}
    </AdminLayout>
  );
}
