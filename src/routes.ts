import type { AnyElysia } from "elysia";
import { wireAutomation } from "@/features/automation/automation.service";
import { wireTranscription } from "@/features/transcription/transcription.service";
import { accountPages } from "@/features/account/account.pages";
import { announcementsPages } from "@/features/announcements/announcement.pages";
import { apiKeyApi } from "@/features/api-keys/api-key.api";
import { apiKeyPages } from "@/features/api-keys/api-key.pages";
import { organizationMembers } from "@/features/audit/audit.actors";
import { auditPages } from "@/features/audit/audit.pages";
import { accountEmailPages } from "@/features/auth/account-email.pages";
import { authPages } from "@/features/auth/auth.pages";
import { platformUserPages } from "@/features/auth/platform-users.pages";
import { secondFactorPages } from "@/features/auth/second-factor.pages";
import { agentChatsApi } from "@/features/agent-chats/agent-chat.api";
import { agentChatsPages } from "@/features/agent-chats/agent-chat.pages";
import { alertsApi } from "@/features/alerts/alert.api";
import { alertPages } from "@/features/alerts/alert.pages";
import { monitorPages } from "@/features/monitor/monitor.pages";
import { wireAlerts } from "@/features/alerts/alert.rules";
import { cannedRepliesApi } from "@/features/canned-replies/canned-reply.api";
import { cannedRepliesPages } from "@/features/canned-replies/canned-reply.pages";
import { departmentsApi } from "@/features/departments/department.api";
import { retentionApi } from "@/features/retention/retention.api";
import { departmentsPages } from "@/features/departments/department.pages";
import { greetingMenuClaim } from "@/features/departments/greeting-menu";
import { knowledgeApi } from "@/features/knowledge/knowledge.api";
import { knowledgePages } from "@/features/knowledge/knowledge.pages";
import { businessHoursApi } from "@/features/business-hours/business-hours.api";
import { businessHoursPages } from "@/features/business-hours/business-hours.pages";
import { wireBusinessHours } from "@/features/business-hours/business-hours.service";
import { availabilityApi } from "@/features/availability/availability.api";
import { availabilityPages } from "@/features/availability/availability.pages";
import { markSignedOutOffline, requestAutoAssign } from "@/features/availability/availability.service";
import { onConversationQueued } from "@/features/conversations/routing";
import { onLeftUnassigned } from "@/features/conversations/auto-assign";
import { onConversationResolved as onResolvedForAssignment } from "@/features/conversations/resolution-hooks";
import { onSignOut } from "@/features/auth/auth.service";
import { labelsApi } from "@/features/labels/label.api";
import { inboxTeamPages } from "@/features/conversations/inbox.team.pages";
import { complaintsApi } from "@/features/complaints/complaint.api";
import { complaintsPages } from "@/features/complaints/complaint.pages";
import { salesApi } from "@/features/sales/sales.api";
import { salesPages } from "@/features/sales/sales.pages";
import { collectionsApi } from "@/features/collections/collections.api";
import { collectionsPages } from "@/features/collections/collections.pages";
import { debtVariablesOf as collectionDebtVariables } from "@/features/collections/target.variables";
import { debtVariablesOf } from "@/features/campaigns/campaign.dispatch";
import { labelsPages } from "@/features/labels/label.pages";
import { changeConversationLabel } from "@/features/labels/label.service";
import { changeConversationLabel as bulkLabelPort } from "@/features/conversations/inbox.service";
import { contactApi } from "@/features/contacts/contact.api";
import { contactBookApi } from "@/features/contacts/contact-book.api";
import { contactBookPages, segmentForExport, segmentOptions } from "@/features/contacts/contact-book.pages";
import { segmentApi } from "@/features/segments/segment.api";
import { segmentPages } from "@/features/segments/segment.pages";
import { getSegment, listSegments } from "@/features/segments/segment.service";
import { contactPages } from "@/features/contacts/contact.pages";
import { plugContactWrites } from "@/features/contacts/contact.sends";
import { applyIdentityChange, moveContactAiRecords } from "@/features/contacts/identity.service";
import { moveContactRecords } from "@/features/tools/tool.service";
import { conversationApi } from "@/features/conversations/conversation.api";
import { aiToolCallsOf } from "@/features/conversations/inbox.ai";
import { contactWrites } from "@/features/conversations/contact-writes";
import { addInboxNote, sendInboxReply } from "@/features/conversations/inbox.outbound";
import { inboxPages } from "@/features/conversations/inbox.pages";
import { dashboardPages } from "@/features/dashboard/dashboard.pages";
import { noteDevicesSeen } from "@/features/api-keys/api-key.verify";
import { deviceApi } from "@/features/devices/device.api";
import { markDevicesSeen } from "@/features/devices/device.service";
import { devicePages } from "@/features/devices/device.pages";
import { eventApi } from "@/features/events/event.api";
import { eventPages } from "@/features/events/event.pages";
import { flowApi } from "@/features/flows/flow.api";
import { listFlows, listFlowVersions } from "@/features/flows/flow.service";
import { flowPages } from "@/features/flows/flow.pages";
import { groupApi } from "@/features/groups/group.api";
import { applyGroupChange } from "@/features/groups/group.service";
import { inboundHooks } from "@/features/inbound/inbound.hooks";
import { inboundSink, onGroupChange, onIdentityChange } from "@/features/inbound/inbound.service";
import { inboundClaims, onInboundMessage } from "@/features/inbound/inbound.service";
import { queueSentimentCheck } from "@/features/sentiment/sentiment.service";
import { suggestionsApi } from "@/features/suggestions/suggestion.api";
import { suggestionsPages } from "@/features/suggestions/suggestion.pages";
import { messageChanges } from "@/features/inbound/message-changes";
import { sandboxInbound, sandboxPair, sandboxPairing } from "@/features/inbound/sandbox.service";
import { sandboxApi } from "@/features/inbound/sandbox.api";
import { sandboxPages } from "@/features/inbound/sandbox.pages";
import { instanceApi } from "@/features/instances/instance.api";
import { sendTestMessage } from "@/features/instances/instance.outbound";
import { instancePages } from "@/features/instances/instance.pages";
import { provideSandboxActions } from "@/features/instances/instance.sandbox";
import { invitationPages } from "@/features/members/invitation.pages";
import { memberPages } from "@/features/members/member.pages";
import { listMembers } from "@/features/members/member.service";
import { countProviderCall } from "@/features/metrics/metrics";
import { messageApi, presenceApi } from "@/features/messages/message.api";
import { plugMessageChanges } from "@/features/messages/message.changes";
import { addPrivateNote } from "@/features/messages/message.notes";
import { noteMessageMedia, queueInboxReply, queueTestMessage } from "@/features/messages/message.service";
import { mediaApi, mediaFiles } from "@/features/media/media.api";
import { messageMediaNote } from "@/features/media/media.service";
import { organizationPages } from "@/features/organizations/organization.pages";
import { platformRoutes } from "@/features/platform/platform.routes";
import { registrationGate } from "@/features/auth/registration-gate";
import { registrationPages } from "@/features/registrations/registration.pages";
import { registrationStateForSignIn, requestRegistration } from "@/features/registrations/registration.service";
import { settingsPages } from "@/features/settings/settings.pages";
import { templatesApi } from "@/features/templates/template.api";
import { messageWindowPages } from "@/features/messages/message.window.pages";
import { templatesPages } from "@/features/templates/template.pages";
import { triggerApi } from "@/features/triggers/trigger.api";
import { triggerPages } from "@/features/triggers/trigger.pages";
import { provideTriggerTargets } from "@/features/triggers/trigger.targets";
import { toolsApi } from "@/features/tools/tool.api";
import { toolsPages } from "@/features/tools/tool.pages";
import { tryPages } from "@/features/try/try.pages";
import { usageApi } from "@/features/usage/usage.api";
import { usagePages } from "@/features/usage/usage.pages";
import { satisfactionApi } from "@/features/satisfaction/satisfaction.api";
import { satisfactionPages } from "@/features/satisfaction/satisfaction.pages";
import { reportsApi } from "@/features/reports/reports.api";
import { reportsPages } from "@/features/reports/reports.pages";
import { gamificationApi } from "@/features/gamification/gamification.api";
import { gamificationPages } from "@/features/gamification/gamification.pages";
import { wireSatisfaction } from "@/features/satisfaction/satisfaction.service";
import { consentClaim } from "@/features/consent/consent.service";
import { consentApi } from "@/features/consent/consent.api";
import { campaignsApi } from "@/features/campaigns/campaign.api";
import { campaignPages } from "@/features/campaigns/campaign.pages";
import { outagesApi } from "@/features/outages/outage.api";
import { outagesPages } from "@/features/outages/outage.pages";
import { outageNoticeClaim } from "@/features/outages/outage.inbound";
import { webhookApi } from "@/features/webhooks/webhook.api";
import { webhookPages } from "@/features/webhooks/webhook.pages";
import { workflowsApi } from "@/features/workflows/workflow.api";
import { promptsApi } from "@/features/prompts/prompt.api";
import { promptsPages } from "@/features/prompts/prompt.pages";
import { memoryPages } from "@/features/workflows/memory.pages";
import { workflowsPages } from "@/features/workflows/workflow.pages";
import { conversationToolCalls } from "@/features/workflows/thread.service";
import { listWorkflows } from "@/features/workflows/workflow.service";
import { configureProviders } from "@/providers";

/**
 * The composition root: every feature's routes, and the wiring between features that must not import
 * each other. Features are mounted from a plain array in a loop rather than one long `.use()` chain:
 * the chain made TypeScript accumulate every route's type and stop with TS2589 ("type instantiation is
 * excessively deep"), which once pushed features into mounting each other. Nothing reads the accumulated
 * route types (no Eden client; tests call `app.handle`), and each route keeps its full typing inside
 * its own plugin.
 */
const features: AnyElysia[] = [
  platformRoutes,
  workflowsApi,
  workflowsPages,
  promptsApi,
  promptsPages,
  memoryPages,
  toolsApi,
  toolsPages,
  templatesApi,
  templatesPages,
  messageWindowPages,
  authPages,
  secondFactorPages,
  accountEmailPages,
  platformUserPages,
  registrationPages,
  apiKeyPages,
  apiKeyApi,
  deviceApi,
  devicePages,
  inboundHooks,
  sandboxApi,
  sandboxPages,
  instanceApi,
  instancePages,
  messageApi,
  tryPages,
  webhookApi,
  webhookPages,
  organizationPages,
  memberPages,
  invitationPages,
  auditPages,
  dashboardPages,
  accountPages,
  settingsPages,
  contactApi,
  contactBookApi,
  contactBookPages,
  segmentApi,
  segmentPages,
  contactPages,
  groupApi,
  conversationApi,
  presenceApi,
  inboxPages,
  eventApi,
  eventPages,
  usageApi,
  usagePages,
  triggerPages,
  flowPages,
  triggerApi,
  flowApi,
  mediaApi,
  mediaFiles,
  alertsApi,
  alertPages,
  monitorPages,
  satisfactionApi,
  satisfactionPages,
  reportsApi,
  reportsPages,
  gamificationApi,
  gamificationPages,
  cannedRepliesApi,
  campaignsApi,
  campaignPages,
  outagesApi,
  outagesPages,
  consentApi,
  cannedRepliesPages,
  departmentsApi,
  retentionApi,
  departmentsPages,
  knowledgeApi,
  knowledgePages,
  businessHoursApi,
  businessHoursPages,
  availabilityApi,
  availabilityPages,
  agentChatsApi,
  agentChatsPages,
  labelsApi,
  labelsPages,
  inboxTeamPages,
  complaintsApi,
  complaintsPages,
  salesApi,
  salesPages,
  collectionsApi,
  collectionsPages,
  suggestionsApi,
  suggestionsPages,
  announcementsPages,
];

/** Mounts every feature on `app` (in place: Elysia's `use` registers on the same instance). */
export function mountFeatures<App extends AnyElysia>(app: App): App {
  wireFeatures();
  for (const feature of features) app.use(feature);
  return app;
}

const moveContactOnIdentityChange: (typeof onIdentityChange)[number] = async (instance, change) => {
  await applyIdentityChange(instance, change.from, change.to);
};

/** A conversation queued in a department (transfer, greeting menu) is offered to its online agents. */
const assignQueued = (organizationId: string) => requestAutoAssign(organizationId);

/** A resolution frees its agent's capacity: waiting conversations may now be assigned. */
const freeCapacityOnResolve: (typeof onResolvedForAssignment)[number] = async ({ row }) => {
  await requestAutoAssign(row.conversation.organizationId);
};

/** Cross-feature subscriptions, made explicitly here instead of by importing a module for its side effects. */
export function wireFeatures(): void {
  // The contact export of one segment (segments sit above contacts).
  segmentForExport.plug((caller, id) => getSegment(caller, id));
  debtVariablesOf.plug(collectionDebtVariables);
  segmentOptions.plug(async (caller) => (await listSegments(caller)).map((s) => ({ id: s.id, name: s.name })));
  wireAutomation();
  // Out of business hours, an inbound message gets the out-of-hours reply once per closed period.
  wireBusinessHours();
  // Auto-assignment (availability, above conversations) runs when a conversation enters a department or capacity frees up.
  if (!onConversationQueued.includes(assignQueued)) onConversationQueued.push(assignQueued);
  if (!onLeftUnassigned.includes(assignQueued)) onLeftUnassigned.push(assignQueued);
  if (!onResolvedForAssignment.includes(freeCapacityOnResolve)) onResolvedForAssignment.push(freeCapacityOnResolve);
  // Signing out turns the member offline (auth sits below availability).
  if (!onSignOut.includes(markSignedOutOffline)) onSignOut.push(markSignedOutOffline);
  // Voice notes are transcribed once the media feature has stored their audio.
  wireTranscription();
  // Urgency words in inbound messages raise alerts; surveys go out after resolutions and take their answers before automation.
  wireAlerts();
  wireSatisfaction();
  // A new conversation without a department gets the instance's greeting menu; its answers route it (after the survey's claim).
  if (!inboundClaims.includes(greetingMenuClaim)) inboundClaims.push(greetingMenuClaim);
  // While an outage is active, its notice goes first to an affected contact who writes in (head of the claims; it never takes the message).
  if (!inboundClaims.includes(outageNoticeClaim)) inboundClaims.unshift(outageNoticeClaim);
  // Triggers sit below flows and workflows; their pages name the targets through these.
  provideTriggerTargets({ flowLineages: listFlows, flowVersions: listFlowVersions, workflows: listWorkflows });
  // Keys are verified below devices; a used device key marks its device seen through this.
  noteDevicesSeen.plug(markDevicesSeen);
  // Audit sits below every feature that records it; its pages name members through this.
  organizationMembers.plug(listMembers);
  // Registrations create users through auth; auth's sign-up and sign-in reach them through these.
  registrationGate.request.plug(requestRegistration);
  registrationGate.stateForSignIn.plug(registrationStateForSignIn);
  // Messages send through instances and file into conversations; those features' pages send through these.
  sendTestMessage.plug(queueTestMessage);
  // Media sits below messages (which send uploads); the media worker writes a message's media state through this.
  messageMediaNote.plug(noteMessageMedia);
  sendInboxReply.plug(queueInboxReply);
  // A send creates or touches its contact; contacts sit above conversations, which ask for it through these.
  plugContactWrites(contactWrites);
  addInboxNote.plug(addPrivateNote);
  // What providers report about stored messages (reactions, edits, deletes, receipts) is written by messages, above inbound.
  plugMessageChanges(messageChanges);
  // A provider's number change moves the person's contact (contacts sit above inbound's hook list).
  if (!onIdentityChange.includes(moveContactOnIdentityChange)) onIdentityChange.push(moveContactOnIdentityChange);
  // Group changes WhatsApp reports (WuzAPI GroupInfo / JoinedGroup) are recorded by groups (above inbound).
  if (!onGroupChange.includes(applyGroupChange)) onGroupChange.push(applyGroupChange);
  // Merging two contacts moves the AI's records of the merged one (tools sit above contacts).
  moveContactAiRecords.plug(moveContactRecords);
  // The inbox shows what the AI did in a conversation (threads belong to workflows, above conversations).
  aiToolCallsOf.plug(conversationToolCalls);
  // Bulk actions in the inbox label conversations through the labels feature (above conversations).
  bulkLabelPort.plug(changeConversationLabel);
  // Inbound messages of organizations with sentiment on queue their conversation's classification (a job, never on the inbound path).
  if (!onInboundMessage.includes(queueSentimentCheck)) onInboundMessage.push(queueSentimentCheck);
  // Opt-out / opt-in keywords (SAIR, PARAR, STOP and the organization's own) change the contact's consent and are
  // confirmed; claimed first, so no survey, menu, bot, flow or AI answers them.
  if (!inboundClaims.includes(consentClaim)) inboundClaims.unshift(consentClaim);
  // Provider adapters report unasked events to the inbound service and keep the sandbox's pairing in its service.
  // Every provider call is counted by provider and operation (livchat_provider_calls_total, _errors_total).
  configureProviders({ sink: inboundSink, sandboxPairing, observe: countProviderCall });
  provideSandboxActions({ pair: (instance) => sandboxPair(instance), inbound: sandboxInbound });
}
