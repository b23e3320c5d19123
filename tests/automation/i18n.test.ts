// Automation runs in workers and provider webhooks, where no person's request sets a language: what it
// writes (hand-off reasons, provider errors, replies) follows the organization's language instead.
import { afterAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, conversations, organizations } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { createOwner } from "../helpers/factories";
import { startOpenAiServer } from "../workflows/ai-servers";
import { connectedInstance, contactWrites } from "./helpers";
import { systemCaller } from "@/lib/caller";

const openai = startOpenAiServer();
config.openai.baseUrl = openai.baseUrl;
afterAll(() => openai.stop());

/** A number bound to a failing AI workflow in an organization speaking `language`; returns the hand-off's recorded reason. */
async function handOffReason(language: "en" | "pt-BR", phone: string): Promise<string> {
  const { organization } = await createOwner();
  await db.update(organizations).set({ language }).where(eq(organizations.id, organization.id));
  const instance = await connectedInstance(organization.id);
  const workflow = await createWorkflow(systemCaller("test", organization.id), {
    name: "Assistant",
    provider: "openai",
    config: { model: "gpt-test" },
  } as never);
  await createTrigger(
    systemCaller("test", organization.id),
    triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
  );
  openai.state.mode = "error";
  await contactWrites(instance, phone, "oi");
  await processDueReplies(new Date(Date.now() + 5_000));
  const [conversation] = await db.select().from(conversations).where(eq(conversations.instanceId, instance.id));
  expect(conversation!.handledBy).toBe("human");
  const [audit] = await db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.action, "conversation.handed_off"), eq(auditLogs.targetId, conversation!.id)));
  return audit!.actorId ?? "";
}

describe("automation in the organization's language", () => {
  test("a failed AI turn hands off with the reason written in the organization's language, not the worker's default", async () => {
    expect(await handOffReason("en", "+5511999990201")).toStartWith("automation: AI provider ");
    expect(await handOffReason("pt-BR", "+5511999990202")).toStartWith("automation: Provedor de IA: ");
    openai.state.mode = "ok";
  });
});
