import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { AppError, zodDetails, type FieldError } from "@/lib/errors";
import { formErrors, formFields } from "@/lib/forms";
import { takeFlash } from "@/lib/flash";
import { currentLocale, currentTimeZone, tText, withLocale, type RequestLocale } from "@/lib/i18n";
import { hxRedirect, hxTrigger, isHtmx } from "@/lib/htmx";
import { catchUpSince, sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { addInboxNote, sendInboxReply } from "./inbox.outbound";
import type { Tenant } from "@/lib/tenant";
import { ConversationHeader, MessageItems, MessageList, OlderMessages, ReplyForm } from "@views/inbox/_conversation";
import { ConversationList, SearchResults } from "@views/inbox/_list";
import { MessageBubble } from "@views/inbox/_message";
import { ActivityItem } from "@views/inbox/_activity";
import { InboxPage } from "@views/inbox/index";
import { aiToolCallsOf } from "./inbox.ai";
import { filtersOf, inboxOptions, listInbox, searchInbox } from "./inbox.filters";
import { getActivityLine, listActivities } from "./activity";
import { canSeeConversation } from "./visibility";
import { CONVERSATION_LIMITS, assignFormSchema, handoffSchema, replyFormSchema, replyWithAttachmentSchema, statusFormSchema } from "./conversation.schema";
import {
  assignConversation,
  findConversationMessage,
  getConversation,
  handoffConversation,
  listAssignableMembers,
  listConversationMessages,
  markConversationRead,
  resolveConversation,
  setConversationStatus,
  type ConversationRow,
} from "./conversation.service";

const tenantOfAdmin = (admin: AdminContext): Tenant => ({ organizationId: admin.organization.id });
const idParams = z.object({ id: z.string().max(64) });

/** The list for the filters (inbox.filters.ts: status, assignee, department, label, instance, unread, dates). */
const listFor = listInbox;

/** The latest page of messages, oldest first for reading, with the cursor to load older ones, and the activity lines shown between them. */
async function recentMessages(admin: AdminContext, conversationId: string) {
  const page = await listConversationMessages(admin, conversationId, { order: "desc", limit: CONVERSATION_LIMITS.messagesDefault });
  const activities = await listActivities(admin.organization.id, conversationId);
  return { messages: page.data.reverse(), olderCursor: page.nextCursor, activities };
}

/**
 * Live frames share one database read and render per notification across every open inbox of this
 * process that reads the same language and zone (a burst of receipts would otherwise cost one query per
 * tab): every subscriber receives the same notification object. Keyed by the notification, not by the
 * message, so a change that follows quickly (a reaction, an edit, a delete right after the message
 * arrived) is rendered afresh instead of served from an earlier frame. Frames are rendered in the
 * stream owner's locale: the notification that triggers them carries none.
 */
const bubbleFrames = new WeakMap<object, Map<string, Promise<string | null>>>();
function renderBubble(tenant: Tenant, notification: object, messageId: string, reader: RequestLocale): Promise<string | null> {
  let byReader = bubbleFrames.get(notification);
  if (!byReader) {
    byReader = new Map();
    bubbleFrames.set(notification, byReader);
  }
  const key = `${tenant.organizationId}:${reader.locale}:${reader.timeZone}`;
  let cached = byReader.get(key);
  if (!cached) {
    cached = withLocale(reader, () => bubbleFrame(tenant, messageId));
    byReader.set(key, cached);
  }
  return cached;
}

/**
 * A message's bubble; a reaction of ours that failed to send also redraws its target, which it came off
 * (messages' withdrawFailedReaction): the page upserts every bubble of a frame.
 */
async function bubbleFrame(tenant: Tenant, messageId: string): Promise<string | null> {
  const message = await findConversationMessage(tenant, messageId);
  if (!message) return null;
  const html = String(await (<MessageBubble message={message} />));
  const targetId = (message.media as { messageId?: unknown } | null)?.messageId;
  if (message.type !== "reaction" || message.status !== "failed" || typeof targetId !== "string") return html;
  const target = await findConversationMessage(tenant, targetId);
  return target ? html + String(await (<MessageBubble message={target} />)) : html;
}

/** Header actions answer with the refreshed header (htmx) or go back to the conversation. */
async function headerResponse(request: Request, admin: AdminContext, row: ConversationRow, query: Record<string, unknown>) {
  if (!isHtmx(request)) return hxRedirect(request, `/inbox/${row.conversation.id}`);
  const members = await listAssignableMembers(admin.organization.id);
  return <ConversationHeader row={row} members={members} meId={admin.user.id} filters={filtersOf(query)} />;
}

/** Expected refusals of the send path become a message under the reply box, not an error page. */
function actionError(err: unknown): FieldError[] | null {
  const errors = formErrors(err, {
    codes: ["conflict", "quota_exceeded", "rate_limited", "provider_error", "outside_customer_window", "unsupported_by_provider"],
  });
  return errors ? errors.map((e) => ({ path: "body", message: e.message })) : null;
}

/** Admin inbox: conversation list, conversation view, reply/notes, assignment, resolution, live updates. */
export const inboxPages = new Elysia({ name: "inbox-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/inbox",
    async ({ admin, csrfToken, cookie, query }) => {
      const renderedAt = Date.now();
      const filters = filtersOf(query);
      const [page, search, options] = await Promise.all([listFor(admin, filters, filters.cursor), searchInbox(admin, filters), inboxOptions(admin)]);
      return (
        <InboxPage
          admin={admin}
          csrfToken={csrfToken}
          flash={takeFlash(cookie)}
          filters={filters}
          rows={page.data}
          nextCursor={page.nextCursor}
          cursor={filters.cursor}
          options={options}
          search={search}
          renderedAt={renderedAt}
        />
      );
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/inbox/list",
    async ({ admin, query }) => {
      const filters = filtersOf(query);
      // The open conversation is being read right now: keep its unread counter at zero.
      if (filters.open) await markConversationRead(tenantOfAdmin(admin), filters.open);
      const search = await searchInbox(admin, filters);
      if (search) return <SearchResults hits={search} filters={filters} />;
      const page = await listFor(admin, filters, filters.cursor);
      return <ConversationList rows={page.data} filters={filters} nextCursor={page.nextCursor} openId={filters.open} cursor={filters.cursor} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/inbox/stream",
    ({ admin, request, query }) => {
      const tenant = tenantOfAdmin(admin);
      const reader: RequestLocale = { locale: currentLocale(), timeZone: currentTimeZone() };
      const topic = liveTopics.orgInbox(admin.organization.id);
      // Something changed between the page's render and this subscription: the page fetches its list and open conversation again.
      const catchUp = catchUpSince(topic, query.since, () => ({ event: "catchup", data: "{}" }));
      return sseResponse(
        request,
        topic,
        async (data) => {
          const conversationId = typeof data.conversationId === "string" ? data.conversationId : null;
          if (!conversationId) return null;
          // An agent's stream carries only the conversations they may see (their departments', unrouted, their own).
          if (!(await canSeeConversation(admin, conversationId))) return null;
          if (typeof data.messageId === "string") {
            const html = await renderBubble(tenant, data, data.messageId, reader);
            if (html) return { event: "msg", data: html };
          }
          // A new activity line (assigned, resolved, transferred…) joins the open conversation's timeline.
          if (typeof data.activityId === "string") {
            const line = await getActivityLine(admin.organization.id, data.activityId);
            if (line) {
              const html = String(await withLocale(reader, () => <ActivityItem activity={line} />));
              return { event: "activity", data: JSON.stringify({ conversationId, html }) };
            }
          }
          return { event: "conversation", data: JSON.stringify({ conversationId }) };
        },
        catchUp,
      );
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/inbox/:id",
    async ({ admin, csrfToken, cookie, params, query }) => {
      const renderedAt = Date.now();
      const tenant = tenantOfAdmin(admin);
      const filters = filtersOf(query);
      const row = await getConversation(admin, params.id);
      // Opening a conversation reads it.
      await markConversationRead(tenant, row.conversation.id);
      row.conversation.unreadCount = 0;
      const [page, recent, members, aiTools, search, options] = await Promise.all([
        listFor(admin, filters),
        recentMessages(admin, row.conversation.id),
        listAssignableMembers(admin.organization.id),
        aiToolCallsOf(admin.organization.id, row.conversation.id),
        searchInbox(admin, filters),
        inboxOptions(admin),
      ]);
      return (
        <InboxPage
          admin={admin}
          csrfToken={csrfToken}
          flash={takeFlash(cookie)}
          filters={filters}
          rows={page.data}
          nextCursor={page.nextCursor}
          options={options}
          search={search}
          renderedAt={renderedAt}
          open={{ row, messages: recent.messages, olderCursor: recent.olderCursor, activities: recent.activities, members, aiTools }}
        />
      );
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .get(
    "/inbox/:id/header",
    async ({ admin, params, query }) => {
      const row = await getConversation(admin, params.id);
      const members = await listAssignableMembers(admin.organization.id);
      return <ConversationHeader row={row} members={members} meId={admin.user.id} filters={filtersOf(query)} />;
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .get(
    "/inbox/:id/messages",
    async ({ admin, params }) => {
      const row = await getConversation(admin, params.id);
      const recent = await recentMessages(admin, row.conversation.id);
      return <MessageList conversationId={row.conversation.id} messages={recent.messages} olderCursor={recent.olderCursor} activities={recent.activities} />;
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .get(
    "/inbox/:id/older",
    async ({ admin, params, query }) => {
      const cursor = typeof query.cursor === "string" ? query.cursor : undefined;
      const page = await listConversationMessages(admin, params.id, { order: "desc", limit: CONVERSATION_LIMITS.messagesDefault, cursor });
      return (
        <>
          <OlderMessages conversationId={params.id} cursor={page.nextCursor} />
          <MessageItems messages={page.data.reverse()} />
        </>
      );
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/reply",
    async ({ admin, csrfToken, params, body, request, set }) => {
      const row = await getConversation(admin, params.id);
      const values = formFields(body);
      // A file chosen in the reply box (multipart): the text becomes its caption and may be empty.
      const attachment = values.attachment instanceof Blob && values.attachment.size > 0 ? values.attachment : null;
      const parsed = (attachment ? replyWithAttachmentSchema : replyFormSchema).safeParse(values);
      let errors: FieldError[] | undefined;
      if (!parsed.success) {
        errors = zodDetails(parsed.error.issues);
      } else if (parsed.data.kind === "note" && attachment) {
        errors = [{ path: "body", message: tText("media:errors.noteAttachment") }];
      } else if (parsed.data.kind === "note") {
        await addInboxNote(admin, row.conversation.id, parsed.data.body);
      } else {
        try {
          await sendInboxReply(
            admin,
            // By contact, so a reply in a group goes to the group (and a LID-only contact is reached as the provider allows).
            { instanceId: row.conversation.instanceId, contactId: row.contact.id, text: parsed.data.body, attachment },
          );
        } catch (err) {
          errors = actionError(err) ?? undefined;
          if (!errors) throw err;
        }
      }
      if (!isHtmx(request)) {
        if (!errors) return hxRedirect(request, `/inbox/${row.conversation.id}`);
        // A plain form post gets the whole page back, the reply box keeping the text and the error.
        set.status = 422;
        const renderedAt = Date.now();
        const [page, recent, members] = await Promise.all([
          listFor(admin, { status: "open", mine: false }),
          recentMessages(admin, row.conversation.id),
          listAssignableMembers(admin.organization.id),
        ]);
        const reply = { values: { body: String(values.body ?? "") }, errors };
        return (
          <InboxPage
            admin={admin}
            csrfToken={csrfToken}
            filters={{ status: "open", mine: false }}
            rows={page.data}
            nextCursor={page.nextCursor}
            renderedAt={renderedAt}
            open={{ row, messages: recent.messages, olderCursor: recent.olderCursor, activities: recent.activities, members, reply }}
          />
        );
      }
      if (errors) {
        set.status = 422;
        return <ReplyForm row={row} values={{ body: String(values.body ?? "") }} errors={errors} />;
      }
      // Fresh, empty form; the message list reloads so the new message shows even without the live stream.
      Object.assign(set.headers, hxTrigger({ "inbox:sent": { conversationId: row.conversation.id } }));
      return <ReplyForm row={row} />;
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/assign",
    async ({ admin, params, body, request, query }) => {
      const parsed = assignFormSchema.safeParse(formFields(body));
      if (!parsed.success) throw new AppError("validation_failed", tText("inbox:errors.chooseMember"), zodDetails(parsed.error.issues));
      const row = await assignConversation(admin, params.id, { userId: parsed.data.userId, department: parsed.data.department });
      return headerResponse(request, admin, row, query);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/resolve",
    async ({ admin, params, request, query }) => {
      const row = await resolveConversation(admin, params.id);
      return headerResponse(request, admin, row, query);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/handoff",
    async ({ admin, params, body, request, query }) => {
      const parsed = handoffSchema.safeParse(formFields(body));
      if (!parsed.success) throw new AppError("validation_failed", tText("inbox:errors.invalidHandoff"), zodDetails(parsed.error.issues));
      const row = await handoffConversation(admin, params.id, parsed.data.to);
      return headerResponse(request, admin, row, query);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/status",
    async ({ admin, params, body, request, query }) => {
      const parsed = statusFormSchema.safeParse(formFields(body));
      if (!parsed.success) throw new AppError("validation_failed", tText("inbox:errors.invalidStatus"), zodDetails(parsed.error.issues));
      const row = await setConversationStatus(admin, params.id, parsed.data.status);
      return headerResponse(request, admin, row, query);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
