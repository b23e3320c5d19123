import type { AdminContext } from "@/auth/plugin";
import type { AvailabilityStatus } from "@/db/schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { DepartmentAssignment, TeamMemberAvailability } from "@/features/availability/availability.service";
import { AVAILABILITY_LIMITS } from "@/features/availability/availability.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time, fieldError } from "../components/ui";

const STATUSES: AvailabilityStatus[] = ["online", "away", "offline"];
const TONE: Record<AvailabilityStatus, "ok" | "warn" | "muted"> = { online: "ok", away: "warn", offline: "muted" };

export function statusLabel(status: AvailabilityStatus): string {
  return tText(`availability:status.${status}`);
}

/** The labels the live script puts on a badge when a member's status changes. */
function labelData() {
  return { "data-label-online": statusLabel("online"), "data-label-away": statusLabel("away"), "data-label-offline": statusLabel("offline") };
}

/**
 * The header's availability switch: posting a change sets the member's own status; availability.js
 * keeps it live (inactivity → away from another process) and sends activity heartbeats.
 */
export function AvailabilityControl(props: { userId: string; status: AvailabilityStatus; renderedAt?: number }) {
  return (
    <form
      id="availability-control"
      class={`availability-control availability-${props.status}`}
      method="post"
      action="/availability/status"
      hx-post="/availability/status"
      hx-trigger="change"
      hx-target="this"
      hx-swap="outerHTML"
      data-user-id={props.userId}
      data-rendered-at={props.renderedAt}
      {...labelData()}
    >
      <label for="availability-status" class="sr-only">
        {t("availability:control.label")}
      </label>
      <span class="availability-dot" aria-hidden="true" />
      <select id="availability-status" name="status">
        {STATUSES.map((s) => (
          <option value={s} selected={s === props.status}>
            {t(`availability:status.${s}`)}
          </option>
        ))}
      </select>
      <noscript>
        <button type="submit">{t("availability:control.set")}</button>
      </noscript>
    </form>
  );
}

function StatusBadge(props: { userId: string; status: AvailabilityStatus }) {
  return (
    <span data-availability-user={props.userId} data-status={props.status}>
      <Badge tone={TONE[props.status]}>{t(`availability:status.${props.status}`)}</Badge>
    </span>
  );
}

export function CapacityForm(props: { member: TeamMemberAvailability; errors?: FieldError[] }) {
  const m = props.member;
  const error = fieldError(props.errors, "capacity");
  const id = `capacity-${m.membershipId}`;
  return (
    <form
      id={`capacity-form-${m.membershipId}`}
      class="inline-form"
      method="post"
      action={`/members/${m.membershipId}/capacity`}
      hx-post={`/members/${m.membershipId}/capacity`}
      hx-target="this"
      hx-swap="outerHTML"
    >
      <label for={id} class="sr-only">
        {t("availability:columns.capacity")}
      </label>
      <input
        id={id}
        name="capacity"
        type="number"
        min="0"
        max={String(AVAILABILITY_LIMITS.capacityMax)}
        value={m.capacity === null ? "" : String(m.capacity)}
        placeholder={tText("availability:team.departmentDefault")}
        aria-invalid={error ? "true" : undefined}
      />
      <button type="submit" class="small">
        {t("availability:team.saveCapacity")}
      </button>
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </form>
  );
}

export function AvailabilitySettingsForm(props: { awayAfterMinutes: string; errors?: FieldError[]; saved?: boolean }) {
  const error = fieldError(props.errors, "awayAfterMinutes");
  return (
    <form
      id="availability-settings"
      class="card"
      method="post"
      action="/availability/settings"
      hx-post="/availability/settings"
      hx-target="this"
      hx-swap="outerHTML"
    >
      <div class={error ? "field has-error" : "field"}>
        <label for="away-after">{t("availability:settings.awayAfter")}</label>
        <input
          id="away-after"
          name="awayAfterMinutes"
          type="number"
          min="1"
          max={String(AVAILABILITY_LIMITS.awayAfterMinutesMax)}
          value={props.awayAfterMinutes}
          required
        />
        <small class="hint">{t("availability:settings.awayAfterHint")}</small>
        {error ? (
          <small class="error" safe>
            {error}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="row">
        <button type="submit">{t("availability:settings.save")}</button>
        {props.saved ? <span class="muted">{t("availability:settings.saved")}</span> : ""}
      </div>
    </form>
  );
}

export function DepartmentAssignmentForm(props: { department: DepartmentAssignment; errors?: FieldError[]; saved?: boolean }) {
  const d = props.department;
  const error = fieldError(props.errors, "defaultCapacity");
  const action = `/departments/${d.departmentId}/assignment`;
  return (
    <form id={`assignment-${d.departmentId}`} class="inline-form" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <label class="checkbox">
        <input type="checkbox" name="autoAssign" value="true" checked={d.autoAssign} /> {t("availability:departments.autoAssign")}
      </label>
      <label for={`default-capacity-${d.departmentId}`}>{t("availability:departments.defaultCapacity")}</label>
      <input
        id={`default-capacity-${d.departmentId}`}
        name="defaultCapacity"
        type="number"
        min="0"
        max={String(AVAILABILITY_LIMITS.capacityMax)}
        value={String(d.defaultCapacity)}
        required
      />
      <button type="submit" class="small">
        {t("availability:departments.save")}
      </button>
      {props.saved ? <span class="muted">{t("availability:settings.saved")}</span> : ""}
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </form>
  );
}

/** The supervisors' availability page: every member's status and load, capacities, the inactivity limit and each department's auto-assignment. */
export function AvailabilityPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  members: TeamMemberAvailability[];
  /** When the members were read (ms): the live stream catches up on changes since. */
  renderedAt: number;
  awayAfterMinutes: number;
  departments: DepartmentAssignment[];
}) {
  return (
    <AdminLayout title={tText("availability:title")} admin={props.admin} csrfToken={props.csrfToken} active="availability" flash={props.flash}>
      <h1>{t("availability:title")}</h1>
      <p class="muted">{t("availability:intro")}</p>
      <div class="table-wrap" id="team-availability" data-rendered-at={props.renderedAt} {...labelData()}>
        <table class="stack-table">
          <thead>
            <tr>
              <th>{t("availability:columns.member")}</th>
              <th>{t("availability:columns.status")}</th>
              <th>{t("availability:columns.since")}</th>
              <th>{t("availability:columns.lastSeen")}</th>
              <th>{t("availability:columns.load")}</th>
              <th>{t("availability:columns.capacity")}</th>
            </tr>
          </thead>
          <tbody>
            {props.members.map((m) => (
              <tr>
                <td data-label="" class="truncate" safe>
                  {m.name || m.email}
                </td>
                <td data-label={tText("availability:columns.status")}>
                  <StatusBadge userId={m.userId} status={m.status} />
                </td>
                <td data-label={tText("availability:columns.since")}>
                  <Time at={m.statusChangedAt} />
                </td>
                <td data-label={tText("availability:columns.lastSeen")}>
                  <Time at={m.lastSeenAt} />
                </td>
                <td data-label={tText("availability:columns.load")} safe>
                  {String(m.openConversations)}
                </td>
                <td data-label={tText("availability:columns.capacity")}>
                  <CapacityForm member={m} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{t("availability:settings.title")}</h2>
      <AvailabilitySettingsForm awayAfterMinutes={String(props.awayAfterMinutes)} />
      <h2>{t("availability:departments.title")}</h2>
      <p class="muted">{t("availability:departments.intro")}</p>
      {props.departments.length === 0 ? (
        <EmptyState>{t("availability:departments.empty")}</EmptyState>
      ) : (
        <ul class="plain-list">
          {props.departments.map((d) => (
            <li class="card">
              <strong safe>{d.departmentName}</strong>
              <DepartmentAssignmentForm department={d} />
            </li>
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}
