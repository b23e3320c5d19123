import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { AppError } from "@/lib/errors";
import { formFields, formList } from "@/lib/forms";
import { tText } from "@/lib/i18n";
import { catchUpSince, sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { ConversationList } from "@views/inbox/_list";
import { ContactPanel, UnreadBadge } from "@views/inbox/_panel";
import { bulkActionSchema, type BulkAction } from "./conversation.schema";
import { getConversation } from "./conversation.service";
import { filtersOf, listInbox } from "./inbox.filters";
import { bulkConversations, contactPanel, UNREAD_COUNT_CAP, unreadConversationCount } from "./inbox.service";

const idParams = z.object({ id: z.string().max(64) });

/** The bulk form's one select (`resolve`, `unassign`, `assign:<user>`, `add_label:<label>`, `remove_label:<label>`) and the ticked ids. */
function bulkActionOf(body: Record<string, unknown>): BulkAction {
  const ids = formList(body.ids);
  const [verb, target] = String(body.action ?? "").split(":", 2);
  const input =
    verb === "resolve"
      ? { action: "resolve", ids }
      : verb === "unassign"
        ? { action: "assign", ids, userId: null }
        : verb === "assign"
          ? { action: "assign", ids, userId: target }
          : { action: verb, ids, labelId: target };
  const parsed = bulkActionSchema.safeParse(input);
  if (!parsed.success) {
    const message = ids.length === 0 ? tText("inbox:bulk.noneSelected") : tText("inbox:bulk.invalid");
    throw new AppError("validation_failed", message, [{ path: ids.length === 0 ? "ids" : "action", message }]);
  }
  return parsed.data;
}

/** The inbox for a team: bulk actions, the contact side panel, and the unread count of the navigation and the tab title (live). */
export const inboxTeamPages = new Elysia({ name: "inbox-team-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/inbox/unread",
    async ({ admin }) => {
      const renderedAt = Date.now();
      return <UnreadBadge count={await unreadConversationCount(admin)} cap={UNREAD_COUNT_CAP} renderedAt={renderedAt} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/inbox/unread/stream",
    ({ admin, request, query }) => {
      const topic = liveTopics.orgInbox(admin.organization.id);
      // Any change in the organization's inbox recounts this member's unread conversations (a capped count through the list index).
      const count = async () => ({ event: "unread", data: String(await unreadConversationCount(admin)) });
      return sseResponse(request, topic, count, catchUpSince(topic, query.since, count));
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/inbox/bulk",
    async ({ admin, body, query }) => {
      const action = bulkActionOf(formFields(body));
      const result = await bulkConversations(admin, action);
      const filters = filtersOf(query);
      const page = await listInbox(admin, filters);
      return (
        <ConversationList
          rows={page.data}
          filters={filters}
          nextCursor={page.nextCursor}
          bulk={{ done: result.done.length, failed: result.failed.map((f) => ({ id: f.id, message: f.message })) }}
        />
      );
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/inbox/:id/panel",
    async ({ admin, params }) => {
      const row = await getConversation(admin, params.id);
      const panel = await contactPanel(admin, row);
      return <ContactPanel panel={{ conversationId: row.conversation.id, ...panel }} />;
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
