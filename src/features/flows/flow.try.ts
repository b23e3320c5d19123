import { and, asc, eq, isNull, or } from "drizzle-orm";
import { db } from "@/db/client";
import { threadMessages, threads, workflows } from "@/db/schema";
import { appendThreadLines, getThread, openAutomationThread, withThreadLock, type Thread } from "@/features/workflows/thread.service";
import { isUuid } from "@/lib/ids";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { initialFlowState, runFlowTurn, type FlowContact, type FlowEffects, type FlowState } from "./flow.engine";
import { workflowForFlow } from "@/features/workflows/workflow.service";
import { getSteps, type Flow } from "./flow.service";

/** One line of a try-it transcript: what the tester typed, what the flow sent, or what it did. */
export type TryLine = { role: "user" | "bot" | "note"; text: string };
export type TryRun = { threadId: string; transcript: TryLine[]; state: FlowState };

/**
 * The pretend contact of a try-it run, so templates using {{name}}/{{phone}} render as they would for
 * a real contact. 555-0100 is a number range reserved for fiction.
 */
export function tryContact(testerName: string | null): NonNullable<FlowContact> {
  return { name: testerName || tText("flows:try.contactName"), phone: "+15555550100", metadata: {} };
}

export const tryRunNotFound = () => new AppError("not_found", tText("flows:errors.tryRunNotFound"));

const ROLE_OF = { user: "user", bot: "assistant", note: "system" } as const;
const LINE_OF = { user: "user", assistant: "bot", system: "note", tool: "note" } as const;

/**
 * Runs one turn of a try-it thread with effects that only collect what the flow would do, and keeps
 * the lines as thread messages so the transcript survives between requests. Expected failures (a
 * template missing a variable…) become a note instead of an error page: showing them is the point.
 */
async function tryTurn(organizationId: string, threadId: string, input: string | null, contact: FlowContact): Promise<void> {
  await withThreadLock(threadId, async () => {
    const [thread] = await db.select().from(threads).where(eq(threads.id, threadId));
    if (!thread) throw tryRunNotFound();
    const lines: TryLine[] = input === null ? [] : [{ role: "user", text: input }];
    const effects: FlowEffects = {
      async send(text) {
        lines.push({ role: "bot", text });
      },
      async handoff() {
        lines.push({ role: "note", text: tText("flows:try.handedToHuman") });
      },
      async callWorkflow(workflowId) {
        // A draft step may hold any id: only this organization's (or a system) workflow is read, else 404.
        const [w] = isUuid(workflowId)
          ? await db
              .select({ name: workflows.name })
              .from(workflows)
              .where(and(eq(workflows.id, workflowId), or(eq(workflows.organizationId, organizationId), isNull(workflows.organizationId))))
              .limit(1)
          : [];
        if (!w) throw new AppError("not_found", tText("flows:errors.workflowNotFound"));
        lines.push({ role: "note", text: tText("flows:try.handedToWorkflow", { name: w.name }) });
      },
    };
    if ((thread.state as FlowState).ended) {
      if (input !== null) lines.push({ role: "note", text: tText("flows:try.flowEnded") });
    } else {
      try {
        await runFlowTurn(organizationId, thread, input, effects, contact);
      } catch (err) {
        // Another organization's id answers 404 as everywhere else, never a note about it.
        if (!(err instanceof AppError) || err.code === "not_found") throw err;
        const details = err.details?.map((d) => d.message).join("; ");
        lines.push({
          role: "note",
          text: details ? tText("flows:try.errorWithDetails", { message: err.message, details }) : tText("flows:try.error", { message: err.message }),
        });
      }
    }
    if (lines.length === 0) return;
    // Strictly after the previous turn's lines, so the transcript order never depends on clock ties.
    const base = Math.max(Date.now(), (thread.lastMessageAt?.getTime() ?? 0) + 1);
    await appendThreadLines(
      threadId,
      lines.map((l) => ({ role: ROLE_OF[l.role], content: l.text })),
      base,
    );
  });
}

/**
 * Starts a try-it run of this exact version (drafts included) as a thread of the flow's workflow,
 * owned by the tester, with no contact or conversation: nothing is sent to WhatsApp.
 */
export async function startTryRun(organizationId: string, flow: Flow, tester: { id: string; name: string | null }): Promise<TryRun> {
  const workflow = await workflowForFlow(organizationId, flow);
  const first = (await getSteps(flow.id))[0];
  const thread = await openAutomationThread({
    workflowId: workflow.id,
    organizationId,
    userId: tester.id,
    title: tText("flows:try.threadTitle", { name: flow.name, version: flow.version }),
    state: initialFlowState(flow.id, first?.key ?? null),
  });
  await tryTurn(organizationId, thread.id, null, tryContact(tester.name));
  return getTryRun(organizationId, flow, thread.id);
}

/** The try-it thread of this flow version, or 404 (another organization's or another version's thread). */
async function tryThread(organizationId: string, flow: Flow, threadId: string): Promise<Thread> {
  const thread = await getThread(organizationId, threadId);
  if ((thread.state as Partial<FlowState>).flowId !== flow.id || thread.contactId !== null) throw tryRunNotFound();
  return thread;
}

/** The tester's answer: the next turn of the run. */
export async function answerTryRun(organizationId: string, flow: Flow, threadId: string, input: string, testerName: string | null): Promise<TryRun> {
  await tryThread(organizationId, flow, threadId);
  await tryTurn(organizationId, threadId, input, tryContact(testerName));
  return getTryRun(organizationId, flow, threadId);
}

export async function getTryRun(organizationId: string, flow: Flow, threadId: string): Promise<TryRun> {
  const thread = await tryThread(organizationId, flow, threadId);
  const rows = await db
    .select({ role: threadMessages.role, content: threadMessages.content })
    .from(threadMessages)
    .where(and(eq(threadMessages.threadId, thread.id)))
    .orderBy(asc(threadMessages.at), asc(threadMessages.id));
  return { threadId: thread.id, transcript: rows.map((r) => ({ role: LINE_OF[r.role], text: r.content })), state: thread.state as FlowState };
}
