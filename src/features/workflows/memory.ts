import { and, asc, eq, isNull } from "drizzle-orm";
import { db } from "@/db/client";
import { threadMessages, threads } from "@/db/schema";
import { aiTokensAvailable, recordAiTokens } from "@/features/usage/usage.service";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { completeOnce } from "./engines/ai-sdk";
import { ENGINE_TIMEOUT_MS, type ChatTurn } from "./engines/engine";
import { storeThreadSummary } from "./thread.service";
import { MEMORY_DEFAULTS, memoryConfigSchema } from "./workflow.schema";
import { llmSettingsOf, type Workflow } from "./workflow.service";

/*
 * Memory (seed 002 thread rotation, seed 004 `last_context`). An AI workflow's thread is sent to the
 * model as: the summary of its older turns (in the system prompt) + the rows not yet summarised.
 * When those rows pass the workflow's `memory.maxMessages` rows, or about `memory.maxTokens` tokens,
 * everything but the last `keepRecent` rows is summarised by the workflow's own model (previous
 * summary included, so the summary accumulates), the summary is stored on the thread
 * (`threads.last_context`) and the folded rows are flagged `summarized_at`: kept for people and audit
 * (the thread view shows them, marked), never sent again. The summary's tokens are metered like a
 * turn's. A failed summary never fails the turn: the last `maxMessages` rows are sent without it.
 *
 * thread.service.ts writes the rows (the one writer of threads) and imports this module for the
 * turn's context; the two import each other at function level only.
 */

export type MemoryConfig = { maxMessages: number; maxTokens: number; keepRecent: number };

export function memoryConfigOf(w: Pick<Workflow, "config">): MemoryConfig {
  const parsed = memoryConfigSchema.safeParse((w.config as { memory?: unknown }).memory ?? {});
  return { ...MEMORY_DEFAULTS, ...(parsed.success ? parsed.data : {}) };
}

/** About 4 characters a token: a cheap, model-independent estimate that only decides when to summarise. */
export const approxTokens = (text: string) => Math.ceil(text.length / 4);

/** The most of the older transcript a summary request carries (its newest part). */
const MAX_SUMMARY_INPUT_CHARS = 60_000;

type Row = { id: string; role: ChatTurn["role"]; content: string };

export type ThreadContext = { history: ChatTurn[]; summary: string | null; summarized: boolean };

/**
 * The history and summary a turn of `thread` sends to the model, summarising first when the thread
 * passed its size. Runs under the thread's lock (sendThreadMessage, the automation worker's claim).
 */
export async function threadContext(
  workflow: Workflow,
  thread: { id: string; organizationId: string | null },
  opts: { instanceId?: string | null; timeoutMs?: number } = {},
): Promise<ThreadContext> {
  const cfg = memoryConfigOf(workflow);
  const [state] = await db.select({ summary: threads.lastContext }).from(threads).where(eq(threads.id, thread.id)).limit(1);
  const rows: Row[] = await db
    .select({ id: threadMessages.id, role: threadMessages.role, content: threadMessages.content })
    .from(threadMessages)
    .where(and(eq(threadMessages.threadId, thread.id), isNull(threadMessages.summarizedAt)))
    .orderBy(asc(threadMessages.at), asc(threadMessages.id));
  const summary = state?.summary ?? null;
  const spoken = rows.filter((r) => r.role === "user" || r.role === "assistant");
  const size = approxTokens(summary ?? "") + spoken.reduce((n, r) => n + approxTokens(r.content), 0);
  // Under both limits, or too few rows to fold any while keeping the recent window: sent as they are.
  if ((spoken.length <= cfg.maxMessages && size <= cfg.maxTokens) || spoken.length <= cfg.keepRecent) {
    return { history: turnsOf(rows), summary, summarized: false };
  }

  // Everything before the last `keepRecent` spoken rows is folded (the tool rows between them too).
  const firstKept = spoken[spoken.length - cfg.keepRecent]!;
  const cut = rows.findIndex((r) => r.id === firstKept.id);
  const folded = rows.slice(0, cut);
  const recent = rows.slice(cut);
  try {
    const next = await summarize(workflow, thread, summary, folded, opts);
    await storeThreadSummary(
      thread.id,
      next,
      folded.map((r) => r.id),
      new Date(),
    );
    return { history: turnsOf(recent), summary: next, summarized: true };
  } catch (err) {
    log.warn("thread summary failed; sending the recent rows without it", { threadId: thread.id, err: String((err as Error)?.message ?? err) });
    return { history: turnsOf(rows.slice(-cfg.maxMessages)), summary, summarized: false };
  }
}

const turnsOf = (rows: Row[]): ChatTurn[] => rows.map((r) => ({ role: r.role, content: r.content }));

/** The model's summary of `previous` + the folded rows; its tokens are metered for the organization. */
async function summarize(
  workflow: Workflow,
  thread: { organizationId: string | null },
  previous: string | null,
  folded: Row[],
  opts: { instanceId?: string | null; timeoutMs?: number },
): Promise<string> {
  if (thread.organizationId && !(await aiTokensAvailable(thread.organizationId))) throw new Error("monthly AI token limit reached");
  const transcript = folded
    .filter((r) => r.role === "user" || r.role === "assistant")
    .map((r) => `${tText(`prompts:compose.roles.${r.role}`)}: ${r.content}`)
    .join("\n")
    .slice(-MAX_SUMMARY_INPUT_CHARS);
  const prompt = [previous ? `${tText("prompts:compose.previousSummary")}\n${previous}` : "", `${tText("prompts:compose.conversation")}\n${transcript}`]
    .filter(Boolean)
    .join("\n\n");
  const result = await completeOnce(llmSettingsOf(workflow, opts.timeoutMs ?? ENGINE_TIMEOUT_MS), { system: tText("prompts:compose.summarizeSystem"), prompt });
  await recordAiTokens({ organizationId: thread.organizationId, instanceId: opts.instanceId ?? null, tokens: result.tokens ?? 0 });
  return result.text;
}
