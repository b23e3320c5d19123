import type { toPublicThread } from "@/features/workflows/thread.service";
import { Badge, Time } from "../components/ui";

/** One row of a workflow's threads list; archive/reopen swap the row in place. */
export function ThreadRow({ thread, canManage }: { thread: ReturnType<typeof toPublicThread>; canManage: boolean }) {
  const next = thread.status === "active" ? "archive" : "reopen";
  return (
    <tr id={`thread-${thread.id}`}>
      <td data-label="" safe>
        {thread.title ?? thread.id.slice(0, 8)}
      </td>
      <td data-label="Messages" safe>
        {String(thread.messageCount)}
      </td>
      <td data-label="Last message">
        <Time at={thread.lastMessageAt} />
      </td>
      <td data-label="Status">{thread.status === "active" ? <Badge tone="ok">active</Badge> : <Badge>archived</Badge>}</td>
      <td class="actions">
        {canManage ? (
          <button
            type="button"
            class="secondary"
            hx-post={`/threads/${thread.id}/${next}`}
            hx-target={`#thread-${thread.id}`}
            hx-swap="outerHTML"
          >
            {next === "archive" ? "Archive" : "Reopen"}
          </button>
        ) : (
          ""
        )}
      </td>
    </tr>
  );
}
