import { afterAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { threads } from "@/db/schema";
import { processDueReplies, replyTurnJobs } from "@/features/automation/automation.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { claimDueThreads, releaseThreads } from "@/features/workflows/thread.service";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { jobLoop } from "@/workers/jobs";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { startOpenAiServer } from "../workflows/ai-servers";
import { systemCaller } from "@/lib/caller";

/**
 * Automation turns on the job mechanism: a turn claimed by a process that dies is answered once its
 * lease runs out (the due time stays set until the turn is done), a released one at once, and the
 * worker's jobLoop drives the same turns.
 */
const openai = startOpenAiServer();
config.openai.baseUrl = openai.baseUrl;
afterAll(() => openai.stop());

const at = (ms: number) => new Date(Date.now() + ms);
/** How long automation holds a claimed thread (automation.service CLAIM_MS). */
const HOLD_MS = 120_000;

async function dueTurn(phone: string) {
  openai.state.mode = "ok";
  openai.state.reply = (messages) => `You said: ${messages.at(-1)?.content}`;
  const { organization } = await createOwner();
  const instance = await connectedInstance(organization.id);
  const workflow = await createWorkflow(systemCaller("test", organization.id), {
    name: "Assistant",
    provider: "openai",
    config: { baseUrl: openai.baseUrl, model: "gpt-test", debounceSeconds: 1 } as never,
  });
  await createTrigger(
    systemCaller("test", organization.id),
    triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
  );
  await contactWrites(instance, phone, "hello");
  const [thread] = await db.select().from(threads).where(eq(threads.workflowId, workflow.id));
  expect(thread!.replyDueAt).toBeInstanceOf(Date);
  return { instance, thread: thread! };
}

describe("automation turns on the job mechanism", () => {
  test("a turn whose process died is answered once the lease runs out, exactly once", async () => {
    const { instance, thread } = await dueTurn("+5511999990201");
    // A worker claims the turn and dies before answering: nothing releases it.
    const [claimed] = await claimDueThreads("reply_due_at", at(2_000), 10, HOLD_MS);
    expect(claimed!.id).toBe(thread.id);
    // The due time is still set; the lease keeps every other worker off it while it lasts.
    expect(claimed!.replyDueAt).toBeInstanceOf(Date);
    expect(await processDueReplies(at(3_000))).toBe(0);
    expect(await botTexts(instance.id)).toEqual([]);
    // After the lease: another worker answers it.
    expect(await processDueReplies(at(2_000 + HOLD_MS + 1_000))).toBe(1);
    expect(await botTexts(instance.id)).toEqual(["You said: hello"]);
    const [done] = await db.select().from(threads).where(eq(threads.id, thread.id));
    expect(done!.replyDueAt).toBeNull();
    expect(done!.lockedUntil).toBeNull();
    expect(await processDueReplies(at(10 * HOLD_MS))).toBe(0);
    expect(await botTexts(instance.id)).toEqual(["You said: hello"]);
  });

  test("a turn given back by a stopping worker is answered at once by the next", async () => {
    const { instance } = await dueTurn("+5511999990202");
    const claimed = await claimDueThreads("reply_due_at", at(2_000), 10, HOLD_MS);
    expect(claimed).toHaveLength(1);
    await releaseThreads(claimed);
    expect(await processDueReplies(at(2_500))).toBe(1);
    expect(await botTexts(instance.id)).toEqual(["You said: hello"]);
  });

  test("the worker's jobLoop answers due turns and stops cleanly", async () => {
    const { instance, thread } = await dueTurn("+5511999990203");
    const loop = jobLoop(
      replyTurnJobs(() => at(2_000)),
      () => ({ pollMs: 20, maxInFlight: 4, drainTimeoutMs: 5_000 }),
    );
    await loop.start();
    try {
      await waitFor(async () => (await botTexts(instance.id)).length === 1, { what: "the loop to answer the turn" });
    } finally {
      await loop.stop();
    }
    expect(await botTexts(instance.id)).toEqual(["You said: hello"]);
    const [done] = await db.select().from(threads).where(eq(threads.id, thread.id));
    expect(done!.lockedUntil).toBeNull();
    expect(done!.replyDueAt).toBeNull();
  });
});
