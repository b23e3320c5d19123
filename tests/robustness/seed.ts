// An organization with one of everything, made through the public API where one exists and through
// the services otherwise, so the sweeps have real ids (own and foreign) for every `:id` route.
import { eq } from "drizzle-orm";
import { expect } from "bun:test";
import type { App } from "@/app";
import { createSession } from "@/auth/session";
import { db } from "@/db/client";
import { crmSyncConfigs, crmSyncRuns, departments, flowSteps, memberships, webhookDeliveries, promptSuggestions, satisfactionFeedback } from "@/db/schema";
import { raiseAlert } from "@/features/alerts/alert.service";
import { startAgentChat } from "@/features/agent-chats/agent-chat.service";
import { createAnnouncement } from "@/features/announcements/announcement.service";
import { createDraft } from "@/features/suggestions/suggestion.service";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createFlow, saveStep } from "@/features/flows/flow.service";
import { createInvitation } from "@/features/members/invitation.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { addUploadedDocument, createCollection } from "@/features/knowledge/knowledge.service";
import { api } from "../helpers/client";
import { createMember, setupOrg, uniqueEmail, memberCaller } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";
import { encryptSecret } from "@/lib/crypto";

/** Where webhooks point: a closed loopback port, so nothing in a sweep can reach the outside. */
export const DEAD_TARGET = "http://127.0.0.1:9/hook";

export type Seeded = Awaited<ReturnType<typeof seedOrganization>>;

async function ok(res: Promise<{ status: number; body: any }>, what: string) {
  const r = await res;
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body;
}

export async function seedOrganization(app: App, orgName: string) {
  const org = await setupOrg(app, { orgName });
  const orgId = org.organization.id;
  // A generous budget: the sweeps make hundreds of calls a minute with one key.
  // Made by the owner: routes that act for the key's member (direct chats with agents) reach the owner's rows.
  const { key: bigKey, secret } = await createApiKey({
    organizationId: orgId,
    name: "sweep",
    scopes: ["*"],
    requestsPerMinute: 1_000_000,
    createdByUserId: org.user.id,
  });
  const key = secret;

  const instance = await ok(api(app, "POST", "/v1/instances", key, { name: `${orgName} phone`, provider: "sandbox" }), "instance");
  await ok(api(app, "POST", `/v1/instances/${instance.id}/connect`, key, {}), "connect");
  await ok(api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, key, {}), "scan");
  const webhook = await ok(api(app, "POST", "/v1/webhooks", key, { url: DEAD_TARGET, name: `${orgName} hook` }), "webhook");
  const contact = await ok(api(app, "POST", "/v1/contacts", key, { phone: "+5511988887777", name: `${orgName} contact` }), "contact");
  await ok(api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, key, { from: "+5511977776666", text: "oi" }), "inbound");
  const message = await ok(api(app, "POST", "/v1/messages", key, { instanceId: instance.id, to: "+5511977776666", type: "text", text: "Olá" }), "message");
  const conversations = await ok(api(app, "GET", "/v1/conversations", key), "conversations");
  const conversation = conversations.data[0];
  const events = await ok(api(app, "GET", "/v1/events?limit=5", key), "events");
  const event = events.data[0];
  const template = await ok(api(app, "POST", "/v1/templates", key, { key: "welcome", body: "Hi {{name}}" }), "template");
  const device = await ok(api(app, "POST", "/v1/devices", key, { name: `${orgName} device` }), "device");

  const flow = await createFlow(systemCaller("test", orgId), { name: `${orgName} flow` });
  await saveStep(systemCaller("test", orgId), flow.id, {
    key: "start",
    type: "send_text",
    text: "hello",
    config: {},
    waitForInput: false,
    transitions: {},
    order: 0,
  });
  const workflow = await ok(api(app, "POST", "/v1/workflows", key, { name: `${orgName} bot`, provider: "flow", config: { flowId: flow.id } }), "workflow");
  const thread = await ok(api(app, "POST", `/v1/workflows/${workflow.id}/threads`, key, {}), "thread");
  // A public IP literal: the outbound guard accepts it without DNS.
  const tool = await ok(
    api(app, "POST", "/v1/tools", key, { name: "stock", description: "Stock", parameters: { type: "object" }, url: "https://1.1.1.1/stock" }),
    "tool",
  );
  // An upload (multipart, so not through the JSON `api` helper): the media routes' real id.
  const mediaForm = new FormData();
  mediaForm.set("file", new Blob(["sweep media"], { type: "text/plain" }), "sweep.txt");
  const upload = await app.handle(new Request("http://localhost/v1/media", { method: "POST", body: mediaForm, headers: { authorization: `Bearer ${key}` } }));
  expect(upload.status).toBe(201);
  const media = (await upload.json()) as { id: string };
  const trigger = await createTrigger(systemCaller("test", orgId), {
    name: "hello",
    match: "contains",
    pattern: "zzz-never",
    priority: 0,
    cooldownSeconds: 0,
    active: true,
    action: "reply_template",
    templateKey: "welcome",
  });

  // Events are delivered from the log (a row once attempted); the test ping queues one delivery row directly.
  await ok(api(app, "POST", `/v1/webhooks/${webhook.id}/test`, key, {}), "webhook test");
  const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhook.id)).limit(1);
  const agent = await createMember(orgId, "agent");
  const [membership] = await db.select().from(memberships).where(eq(memberships.userId, agent.id));
  const { invitation, token: invitationToken } = await createInvitation(memberCaller(org.user.id, orgId, "owner"), {
    email: uniqueEmail("invitee"),
    role: "agent",
  });
  const [step] = await db.select().from(flowSteps).where(eq(flowSteps.flowId, flow.id));
  const cannedReply = await ok(
    api(app, "POST", "/v1/canned-replies", key, { shortcut: "hello", title: "Hello", body: "Olá {{contact.name}}" }),
    "canned reply",
  );
  // A custom contact field, a saved segment and an uploaded (not started) CSV import.
  const contactField = await ok(api(app, "POST", "/v1/contact-fields", key, { key: "plano", label: "Plano", type: "text" }), "contact field");
  const segment = await ok(api(app, "POST", "/v1/segments", key, { name: "Sweep segment", filter: { tags: ["vip"] } }), "segment");
  const campaign = await ok(
    api(app, "POST", "/v1/campaigns", key, {
      name: "Sweep campaign",
      audience: { source: "csv", csv: "telefone,nome\n+5511999990002,Bia\n" },
      message: { body: "Oi {{nome}}" },
      instanceIds: [instance.id],
      activeHours: { weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" },
      pacing: { perMinute: 5, dailyCap: 100 },
    }),
    "campaign",
  );
  // An outage region and an active outage (its notices pending) of the outages feature.
  const outageRegion = await ok(api(app, "POST", "/v1/outage-regions", key, { name: "Serra", cities: ["Teresópolis"], cepPrefixes: ["259"] }), "outage region");
  const outage = await ok(
    api(app, "POST", "/v1/outages", key, {
      title: "Sweep outage",
      severity: "high",
      affected: { regionIds: [outageRegion.id], custom: [{ city: "Teresópolis", neighborhoods: ["Centro"] }] },
      instanceIds: [instance.id],
    }),
    "outage",
  );
  const importForm = new FormData();
  importForm.append("file", new File(["telefone,nome\n+5511999990001,Ana\n"], "contacts.csv", { type: "text/csv" }));
  const contactImport = (await (
    await app.handle(new Request("http://localhost/v1/contact-imports", { method: "POST", headers: { authorization: `Bearer ${key}` }, body: importForm }))
  ).json()) as { id: string };
  // A conversation label and a complaint (ouvidoria) opened from the conversation.
  const label = await ok(api(app, "POST", "/v1/labels", key, { name: "VIP", color: "#aa00ff" }), "label");
  const complaint = await ok(
    api(app, "POST", "/v1/complaints", key, { conversationId: conversation.id, subject: "Atraso", description: "Pedido atrasado" }),
    "complaint",
  );
  // A sales plan and a lead from the conversation (the pipeline).
  const salesPlan = await ok(api(app, "POST", "/v1/sales/plans", key, { name: "Fibra", priceCents: 9990 }), "sales plan");
  const paymentPromise = await ok(
    api(app, "POST", "/v1/collections/promises", key, { conversationId: conversation.id, amountCents: 1000, dueDate: "2031-01-10" }),
    "payment promise",
  );
  // A debtor of the campaign, a CRM sync into it and one run.
  const collectionTarget = await ok(
    api(app, "POST", "/v1/collections/targets", key, { campaignId: campaign.id, phone: "+5511999990003", amountCents: 12345, dueDate: "2031-01-10" }),
    "collection target",
  );
  // Stored directly (a closed local port: a run started by a sweep fails at once, refused or unreachable).
  const [crmSync] = await db
    .insert(crmSyncConfigs)
    .values({
      organizationId: orgId,
      name: "Sweep CRM",
      enabled: false,
      urlEncrypted: encryptSecret("http://127.0.0.1:9/debtors"),
      urlMasked: "http://127.0.0.1:9/debtors",
      mapping: { phone: "phone", amount: "amount", amountUnit: "cents", dueDate: "due", metadata: [] },
      campaignId: campaign.id,
    })
    .returning();
  const [crmRun] = await db
    .insert(crmSyncRuns)
    .values({ organizationId: orgId, configId: crmSync!.id, trigger: "manual", status: "failed", error: "seed" })
    .returning();
  const salesLead = await ok(api(app, "POST", "/v1/sales/leads", key, { conversationId: conversation.id, title: "Fibra na loja" }), "sales lead");
  const owner = memberCaller(org.user.id, orgId, "owner");
  // A department (queue): business hours and auto-assignment routes hang below it.
  const [department] = await db.insert(departments).values({ organizationId: orgId, name: "Suporte" }).returning();
  const announcement = await createAnnouncement(owner, { title: "Maintenance", message: "Tonight", type: "info", targetRoles: ["agent"], expiresAt: null });
  // A direct chat of the owner with an AI agent (no model is called: answers are jobs, and no worker runs here).
  const aiAgent = await createWorkflow(owner, { name: `${orgName} agent`, provider: "openai", config: { model: "gpt-sweep" } });
  const { chat: agentChat } = await startAgentChat(owner, { workflowId: aiAgent.id, title: `${orgName} chat` });
  // An AI draft waiting in the conversation (hybrid mode) and a prompt suggestion waiting for review.
  const suggestion = await createDraft({
    organizationId: orgId,
    conversationId: conversation.id,
    threadId: null,
    workflowId: aiAgent.id,
    messageContext: "oi",
    suggestedText: "Olá! Como posso ajudar?",
  });
  const [promptSuggestion] = await db
    .insert(promptSuggestions)
    .values({
      organizationId: orgId,
      workflowId: aiAgent.id,
      origin: "manual",
      status: "pending",
      problemIdentified: "Too long",
      suggestedPrompt: "Be brief.",
      changelog: "Brevity",
    })
    .returning();
  // A knowledge collection with one indexed document.
  const knowledgeCollection = await createCollection(owner, { name: `${orgName} FAQ` });
  const { document: knowledgeDocument } = await addUploadedDocument(
    owner,
    knowledgeCollection.id,
    new File([`${orgName}: atendemos de segunda a sexta.`], "faq.txt", { type: "text/plain" }),
  );
  // An SLA alert on the conversation and a detractor's answered survey with its handling task.
  const alert = await db.transaction((tx) =>
    raiseAlert(tx, orgId, { type: "keyword", conversationId: conversation.id, message: "sweep", dedupeKey: `sweep:${conversation.id}` }),
  );
  const [feedback] = await db
    .insert(satisfactionFeedback)
    .values({
      organizationId: orgId,
      conversationId: conversation.id,
      contactId: conversation.contact.id,
      instanceId: instance.id,
      departmentId: department!.id,
      state: "closed",
      expiresAt: new Date(Date.now() + 86_400_000),
      npsScore: 3,
      category: "detractor",
      answeredAt: new Date(),
      handlingStatus: "pending",
    })
    .returning();
  // The owner signed in on a second browser: the account page can sign that session out.
  const { session: otherSession } = await createSession(org.user.id, { activeOrganizationId: orgId });

  return {
    ...org,
    key,
    sweepKey: bigKey,
    ids: {
      instance: instance.id as string,
      webhook: webhook.id as string,
      contact: contact.id as string,
      message: message.id as string,
      conversation: conversation.id as string,
      event: event.id as string,
      template: template.id as string,
      device: device.id as string,
      flow: flow.id,
      workflow: workflow.id as string,
      thread: thread.id as string,
      tool: tool.id as string,
      media: media.id,
      trigger: trigger.id,
      delivery: delivery!.id,
      apiKey: bigKey.id,
      membership: membership!.id,
      invitation: invitation.id,
      session: otherSession.publicId,
      cannedReply: cannedReply.id as string,
      contactField: contactField.id as string,
      segment: segment.id as string,
      campaign: campaign.id as string,
      outage: outage.id as string,
      outageRegion: outageRegion.id as string,
      contactImport: contactImport.id,
      label: label.id as string,
      complaint: complaint.id as string,
      salesPlan: salesPlan.id as string,
      salesLead: salesLead.id as string,
      paymentPromise: paymentPromise.id as string,
      collectionTarget: collectionTarget.id as string,
      crmSync: crmSync!.id,
      crmRun: crmRun!.id,
      announcement: announcement.id,
      department: department!.id,
      agentChat: agentChat.id,
      suggestion: suggestion.id,
      promptSuggestion: promptSuggestion!.id,
      knowledgeCollection: knowledgeCollection.id,
      knowledgeDocument: knowledgeDocument.id,
      alert: alert!.id,
      feedback: feedback!.id,
      /** A member by user id (gamification participation). */
      member: agent.id,
    },
    stepKey: step!.key,
    invitationToken,
  };
}
