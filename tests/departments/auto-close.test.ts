// Auto-close (issue 19 item 12): a conversation idle past its department's time since our last message is
// resolved with the reason recorded (activity line, audit, event) and the closing message is queued once;
// a contact who answered meanwhile keeps it open. The pass runs on a clock the test moves.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversationActivities, conversations, events, messages, type Instance } from "@/db/schema";
import { createDepartment } from "@/features/departments/department.service";
import { runAutoClose } from "@/features/departments/auto-close";
import { transferConversation } from "@/features/conversations/routing";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { systemCaller } from "@/lib/caller";
import { api } from "../helpers/client";
import { memberCaller, setupOrg } from "../helpers/factories";
import { connectedInstance, contactWrites } from "../automation/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let instance: Instance;
let closing: { id: string };
let quiet: { id: string };
const MINUTE = 60_000;

async function routed(phone: string, departmentId: string) {
  const result = await contactWrites(instance, phone, "olá");
  if (result.kind !== "message" || !result.conversation) throw new Error("not stored");
  await transferConversation(systemCaller("test", org.organization.id), result.conversation.id, { departmentId, reason: "teste" });
  return { conversationId: result.conversation.id, contactId: result.contact!.id };
}

async function agentAnswers(contactId: string, text: string) {
  await queueOutboundMessage(
    memberCaller(org.user.id, org.organization.id, "owner"),
    { instanceId: instance.id, contactId, type: "text", text },
    { sentBy: "user" },
  );
}

async function outboundTexts(conversationId: string) {
  const rows = await db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt));
  return rows.map((r) => r.body);
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Auto-close" });
  instance = await connectedInstance(org.organization.id);
  const owner = memberCaller(org.user.id, org.organization.id, "owner");
  closing = await createDepartment(owner, {
    name: "Suporte",
    autoCloseMinutes: 30,
    autoCloseMessage: "Encerramos por falta de resposta. Volte quando quiser!",
  });
  quiet = await createDepartment(owner, { name: "Sem fechamento" });
});

describe("auto-close", () => {
  test("idle past the department's time after our reply: resolved with the reason, closing message once, activity/audit/event", async () => {
    const { conversationId, contactId } = await routed("+5511960000001", closing.id);
    await agentAnswers(contactId, "Posso ajudar em algo mais?");
    const now = Date.now();
    // Not yet: 29 minutes.
    expect(await runAutoClose(new Date(now + 29 * MINUTE))).toBe(0);
    expect(await runAutoClose(new Date(now + 31 * MINUTE))).toBe(1);
    // Idempotent: a second pass (or another process) closes nothing and sends nothing more.
    expect(await runAutoClose(new Date(now + 32 * MINUTE))).toBe(0);
    const [c] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect(c).toMatchObject({ status: "resolved", resolutionReason: "auto_close" });
    expect(c!.autoClosedAt).not.toBeNull();
    const texts = await outboundTexts(conversationId);
    expect(texts.filter((t) => t === "Encerramos por falta de resposta. Volte quando quiser!").length).toBe(1);
    const [line] = await db
      .select()
      .from(conversationActivities)
      .where(and(eq(conversationActivities.conversationId, conversationId), eq(conversationActivities.kind, "auto_closed")));
    expect(line!.details).toMatchObject({ reason: "auto_close", idleMinutes: 30, departmentName: "Suporte" });
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "conversation.auto_closed"), eq(auditLogs.targetId, conversationId)));
    expect(audit.length).toBe(1);
    const resolvedEvents = (
      await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, org.organization.id), eq(events.type, "conversation.resolved")))
    ).filter((e) => (e.data as any).conversation.id === conversationId);
    expect(resolvedEvents.length).toBe(1);
    expect((resolvedEvents[0]!.data as any).reason).toBe("auto_close");
    // The API shows the reason.
    const got = await api(app, "GET", `/v1/conversations/${conversationId}`, org.key);
    expect(got.body.resolutionReason).toBe("auto_close");
  });

  test("never closes a conversation the contact answered, nor one waiting on us, nor one of a department without a time", async () => {
    const answered = await routed("+5511960000002", closing.id);
    await agentAnswers(answered.contactId, "Qual o número do pedido?");
    await contactWrites(instance, "+5511960000002", "É o 123");
    const waitingOnUs = await routed("+5511960000003", closing.id);
    const noTime = await routed("+5511960000004", quiet.id);
    await agentAnswers(noTime.contactId, "Oi");
    const later = new Date(Date.now() + 24 * 60 * MINUTE);
    await runAutoClose(later);
    for (const id of [answered.conversationId, waitingOnUs.conversationId, noTime.conversationId]) {
      const [c] = await db.select().from(conversations).where(eq(conversations.id, id));
      expect(c!.status).toBe("open");
    }
  });

  test("without a closing message it resolves silently", async () => {
    const owner = memberCaller(org.user.id, org.organization.id, "owner");
    const silent = await createDepartment(owner, { name: "Silencioso", autoCloseMinutes: 5 });
    const { conversationId, contactId } = await routed("+5511960000005", silent.id);
    await agentAnswers(contactId, "Tudo certo?");
    expect(await runAutoClose(new Date(Date.now() + 6 * MINUTE))).toBe(1);
    expect(await outboundTexts(conversationId)).toEqual(["Tudo certo?"]);
  });
});
