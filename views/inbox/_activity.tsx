import type { ActivityLine } from "@/features/conversations/activity";
import type { Message } from "@/features/conversations/conversation.service";
import { currentLocale, hasKey, tText } from "@/lib/i18n";
import { Time } from "../components/ui";
import { idleDuration } from "../departments/index";

type Details = Record<string, unknown>;
const text = (d: Details, key: string): string | null => (typeof d[key] === "string" && d[key] ? (d[key] as string) : null);

/** "Suporte / Ana", or the words for nobody and no department. */
function side(d: Details, prefix: "from" | "to"): string {
  const parts = [text(d, `${prefix}DepartmentName`), text(d, `${prefix}UserName`)].filter(Boolean);
  return parts.length ? parts.join(" / ") : tText("departments:activity.nobody");
}

/** What an activity line says, in the reader's language (kinds other features add use their own label when they have one). */
export function activitySentence(a: Pick<ActivityLine, "kind" | "details">): string {
  const d = a.details as Details;
  switch (a.kind) {
    case "assigned":
      return tText("departments:activity.assigned", { user: text(d, "toUserName") ?? tText("departments:activity.nobody") });
    case "department_changed":
      return tText("departments:activity.department_changed", {
        from: text(d, "fromDepartmentName") ?? tText("departments:activity.noDepartment"),
        to: text(d, "toDepartmentName") ?? tText("departments:activity.noDepartment"),
      });
    case "transferred":
      return tText("departments:activity.transferred", { from: side(d, "from"), to: side(d, "to") });
    case "routed":
      return tText(d.fallback ? "departments:activity.routedFallback" : "departments:activity.routed", {
        to: text(d, "toDepartmentName") ?? tText("departments:activity.human"),
      });
    case "auto_closed":
      return tText("departments:activity.auto_closed", { duration: idleDuration(typeof d.idleMinutes === "number" ? d.idleMinutes : 0) });
    default: {
      const key = `departments:activity.${a.kind}`;
      return hasKey(key, currentLocale()) ? tText(key) : tText("departments:activity.unknown", { kind: a.kind });
    }
  }
}

/** One activity line between the messages: what happened, who did it, why, and when (the organization's zone). */
export function ActivityItem({ activity }: { activity: ActivityLine }) {
  const d = activity.details as Details;
  const reason = activity.kind === "auto_closed" ? null : text(d, "reason");
  return (
    <div class={`activity-line activity-${activity.kind}`} id={`activity-${activity.id}`} role="note">
      <span class="activity-text" safe>
        {activitySentence(activity)}
      </span>
      {activity.actorName ? (
        <span class="muted" safe>
          {` ${tText("departments:activity.by", { name: activity.actorName })}`}
        </span>
      ) : (
        ""
      )}
      {reason ? (
        <span class="activity-reason" safe>
          {` — ${tText("departments:activity.reason", { reason })}`}
        </span>
      ) : (
        ""
      )}{" "}
      <small class="muted">
        <Time at={activity.createdAt} />
      </small>
    </div>
  );
}

export type TimelineEntry = { message: Message } | { activity: ActivityLine };

/**
 * Messages and activity lines of one page in time order. `complete`: the page reaches the conversation's
 * start, so earlier lines belong to it too; otherwise only lines from its first message on are shown (older
 * ones come with older pages).
 */
export function timeline(messages: Message[], activities: ActivityLine[], complete: boolean): TimelineEntry[] {
  const first = messages[0]?.createdAt.getTime();
  const shown = complete || first === undefined ? activities : activities.filter((a) => a.createdAt.getTime() >= first);
  const entries: (TimelineEntry & { at: number })[] = [
    ...messages.map((message) => ({ message, at: message.createdAt.getTime() })),
    ...shown.map((activity) => ({ activity, at: activity.createdAt.getTime() })),
  ];
  // Stable: a line recorded in the same instant as a message stays after it.
  return entries.sort((x, y) => x.at - y.at);
}
