import type { toPublicThread } from "@/features/workflows/thread.service";
import { formatNumber, t, tText } from "@/lib/i18n";
import { Badge, Time } from "../components/ui";

/** One row of a workflow's threads list; archive/reopen swap the row in place. */
export function ThreadRow({ thread, canManage }: { thread: ReturnType<typeof toPublicThread>; canManage: boolean }) {
  const next = thread.status === "active" ? "archive" : "reopen";
  return (
    <tr id={`thread-${thread.id}`}>
      <td data-label="">
        <a href={`/threads/${thread.id}`} safe>
          {thread.title ?? thread.id.slice(0, 8)}
        </a>
      </td>
      <td data-label={tText("workflows:columns.messages")} safe>
        {formatNumber(thread.messageCount)}
      </td>
      <td data-label={tText("workflows:columns.lastMessage")}>
        <Time at={thread.lastMessageAt} />
      </td>
      <td data-label={tText("workflows:columns.status")}>
        {thread.status === "active" ? <Badge tone="ok">{t("workflows:badges.active")}</Badge> : <Badge>{t("workflows:badges.archived")}</Badge>}
      </td>
      <td class="actions">
        {canManage ? (
          <button type="button" class="secondary" hx-post={`/threads/${thread.id}/${next}`} hx-target={`#thread-${thread.id}`} hx-swap="outerHTML">
            {t(next === "archive" ? "workflows:thread.archive" : "workflows:thread.reopen")}
          </button>
        ) : (
          ""
        )}
      </td>
    </tr>
  );
}
