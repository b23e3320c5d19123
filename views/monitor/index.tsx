import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import type { alertJson, SupervisorActionRow } from "@/features/alerts/alert.service";
import type { Board, BoardConversation } from "@/features/monitor/monitor.service";
import type { MonitorFilters } from "@/features/monitor/monitor.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time } from "../components/ui";

type PublicAlert = ReturnType<typeof alertJson>;

const AVAILABILITY_TONE = { online: "ok", away: "warn", offline: "muted" } as const;
const SEVERITY_TONE = { low: "muted", medium: "warn", high: "bad", critical: "bad" } as const;

/** Seconds since `since` at render, ticking in the browser from `data-since` (static/monitor.js). */
function Waiting(props: { since: Date | null; now: Date }) {
  if (!props.since) return <span class="muted small">{t("monitor:noWait")}</span>;
  const seconds = Math.max(0, Math.floor((props.now.getTime() - props.since.getTime()) / 1000));
  const minutes = Math.floor(seconds / 60);
  const text =
    minutes >= 60 ? `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m` : `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  return (
    <span class="monitor-wait" data-since={props.since.toISOString()} title={tText("monitor:waitingTitle")} safe>
      {text}
    </span>
  );
}

function ConversationCard(props: { c: BoardConversation; now: Date; csrfToken: string; agents: Board["agents"] }) {
  const c = props.c;
  return (
    <li class="monitor-card" data-conversation={c.id}>
      <div class="monitor-card-head">
        <a href={`/inbox/${c.id}`} class="truncate" safe>
          {c.contactName ?? c.contactPhone ?? c.id}
        </a>
        <Waiting since={c.waitingSince} now={props.now} />
      </div>
      <p class="muted small truncate" safe>
        {c.lastMessagePreview ?? ""}
      </p>
      <div class="monitor-card-meta">
        {c.handledBy === "bot" ? <Badge>{t("monitor:bot")}</Badge> : <Badge tone="ok">{t("monitor:human")}</Badge>}
        {c.openAlerts > 0 ? <Badge tone="bad">{t("monitor:alertsCount", { count: c.openAlerts })}</Badge> : ""}
        {c.verifiedAt ? <Badge tone="ok">{t("monitor:verified")}</Badge> : ""}
      </div>
      <div class="monitor-card-actions">
        <form method="post" action={`/monitor/conversations/${c.id}/verify`} hx-post={`/monitor/conversations/${c.id}/verify`} hx-swap="none">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <input type="hidden" name="verified" value={c.verifiedAt ? "false" : "true"} />
          <button type="submit" class="link small">
            {c.verifiedAt ? t("monitor:unverify") : t("monitor:verify")}
          </button>
        </form>
        <form method="post" action={`/monitor/conversations/${c.id}/take-over`} hx-post={`/monitor/conversations/${c.id}/take-over`} hx-swap="none">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <button type="submit" class="link small">
            {t("monitor:takeOver")}
          </button>
        </form>
        <form
          class="monitor-assign"
          method="post"
          action={`/monitor/conversations/${c.id}/assign`}
          hx-post={`/monitor/conversations/${c.id}/assign`}
          hx-swap="none"
        >
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <label class="sr-only" for={`assign-${c.id}`}>
            {t("monitor:assignTo")}
          </label>
          <select id={`assign-${c.id}`} name="userId">
            <option value="">{t("monitor:unassigned")}</option>
            {props.agents.map((a) => (
              <option value={a.userId} selected={a.userId === c.assignedUserId} safe>
                {a.name}
              </option>
            ))}
          </select>
          <button type="submit" class="link small">
            {t("monitor:transfer")}
          </button>
        </form>
      </div>
    </li>
  );
}

/** Conversations grouped by department, then by agent (unassigned first). */
function groupBoard(conversations: BoardConversation[]) {
  const departments = new Map<
    string,
    { name: string | null; color: string | null; agents: Map<string, { name: string | null; items: BoardConversation[] }> }
  >();
  for (const c of conversations) {
    const dKey = c.departmentId ?? "";
    let d = departments.get(dKey);
    if (!d) {
      d = { name: c.departmentName, color: c.departmentColor, agents: new Map() };
      departments.set(dKey, d);
    }
    const aKey = c.assignedUserId ?? "";
    let a = d.agents.get(aKey);
    if (!a) {
      a = { name: c.assignedName, items: [] };
      d.agents.set(aKey, a);
    }
    a.items.push(c);
  }
  return departments;
}

/** The live part of the page, swapped as a whole when something changes. */
export function MonitorBoard(props: { board: Board; alerts: PublicAlert[]; csrfToken: string; canResolve: boolean }) {
  const { board } = props;
  const groups = groupBoard(board.conversations);
  return (
    <div id="monitor-board" class="monitor-board">
      <section class="monitor-alerts card" aria-labelledby="monitor-alerts-title">
        <h2 id="monitor-alerts-title">
          {t("monitor:alertsTitle")} <Badge tone={props.alerts.length > 0 ? "bad" : "muted"}>{props.alerts.length}</Badge>
        </h2>
        {props.alerts.length === 0 ? (
          <EmptyState>{t("alerts:empty")}</EmptyState>
        ) : (
          <ul class="monitor-alert-list">
            {props.alerts.map((a) => (
              <li class={`monitor-alert severity-${a.severity}`} data-alert={a.id}>
                <div>
                  <Badge tone={SEVERITY_TONE[a.severity]}>{t(`alerts:severities.${a.severity}`)}</Badge> <strong>{t(`alerts:types.${a.type}`)}</strong>
                </div>
                <p class="small" safe>
                  {a.message}
                </p>
                <p class="muted small">
                  <Time at={a.createdAt} />
                  {a.conversationId ? (
                    <>
                      {" · "}
                      <a href={`/inbox/${a.conversationId}`}>{t("monitor:openConversation")}</a>
                    </>
                  ) : (
                    ""
                  )}
                </p>
                {props.canResolve ? (
                  <form method="post" action={`/monitor/alerts/${a.id}/resolve`} hx-post={`/monitor/alerts/${a.id}/resolve`} hx-swap="none">
                    <input type="hidden" name="_csrf" value={props.csrfToken} />
                    <button type="submit" class="small">
                      {t("alerts:resolve")}
                    </button>
                  </form>
                ) : (
                  ""
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="monitor-agents card" aria-labelledby="monitor-agents-title">
        <h2 id="monitor-agents-title">{t("monitor:agentsTitle")}</h2>
        <ul class="monitor-agent-list">
          {board.agents.map((a) => (
            <li data-agent={a.userId}>
              <span class="truncate" safe>
                {a.name}
              </span>{" "}
              <Badge tone={AVAILABILITY_TONE[a.status]}>{t(`monitor:availability.${a.status}`)}</Badge>{" "}
              <span class="muted small">
                {a.capacity === null
                  ? t("monitor:load", { count: a.openConversations })
                  : t("monitor:loadOf", { count: a.openConversations, capacity: a.capacity })}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section class="monitor-queues" aria-labelledby="monitor-queues-title">
        <h2 id="monitor-queues-title">{t("monitor:conversationsTitle", { count: board.conversations.length })}</h2>
        {board.conversations.length === 0 ? (
          <EmptyState>{t("monitor:empty")}</EmptyState>
        ) : (
          [...groups.entries()].map(([dKey, d]) => (
            <div class="monitor-department card" data-department={dKey || "none"}>
              <h3>
                {d.color ? <span class="dot" style={`background:${/^#[0-9a-fA-F]{6}$/.test(d.color) ? d.color : "#888"}`} /> : ""}
                <span safe>{d.name ?? tText("monitor:noDepartment")}</span>
              </h3>
              {[...d.agents.entries()].map(([aKey, a]) => (
                <div class="monitor-agent-group" data-assignee={aKey || "none"}>
                  <h4 class="muted small" safe>
                    {a.name ?? tText("monitor:unassigned")}
                  </h4>
                  <ul class="monitor-cards">
                    {a.items.map((c) => (
                      <ConversationCard c={c} now={board.now} csrfToken={props.csrfToken} agents={board.agents} />
                    ))}
                  </ul>
                </div>
              ))}
            </div>
          ))
        )}
      </section>
    </div>
  );
}

export function MonitorPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  board: Board;
  alerts: PublicAlert[];
  filters: MonitorFilters;
  query: string;
  canResolve: boolean;
  actions: SupervisorActionRow[];
  /** When the page's reads began (ms): its live stream catches up on what changed since. */
  renderedAt: number;
}) {
  const f = props.filters;
  return (
    <AdminLayout title={tText("monitor:title")} admin={props.admin} csrfToken={props.csrfToken} active="monitor" flash={props.flash}>
      <link rel="stylesheet" href="/static/monitor.css" />
      <h1>{t("monitor:title")}</h1>
      <p class="muted">
        {t("monitor:intro")} <a href="/alerts/settings">{t("alerts:settingsTitle")}</a>
      </p>
      <form class="monitor-filters row" method="get" action="/monitor">
        <div class="field">
          <label for="f-departmentId">{t("monitor:filters.department")}</label>
          <select id="f-departmentId" name="departmentId">
            <option value="">{t("monitor:filters.all")}</option>
            <option value="none" selected={f.departmentId === "none"}>
              {t("monitor:noDepartment")}
            </option>
            {props.board.departments.map((d) => (
              <option value={d.id} selected={f.departmentId === d.id} safe>
                {d.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-assigned">{t("monitor:filters.agent")}</label>
          <select id="f-assigned" name="assigned">
            <option value="">{t("monitor:filters.all")}</option>
            <option value="none" selected={f.assigned === "none"}>
              {t("monitor:unassigned")}
            </option>
            {props.board.agents.map((a) => (
              <option value={a.userId} selected={f.assigned === a.userId} safe>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <label class="checkbox">
          <input type="checkbox" name="waiting" value="1" checked={f.waiting === true} /> {t("monitor:filters.waiting")}
        </label>
        <button type="submit">{t("monitor:filters.apply")}</button>
      </form>
      <div id="monitor-live" data-stream={`/monitor/stream?since=${props.renderedAt}`} data-board={`/monitor/board${props.query}`}>
        <MonitorBoard board={props.board} alerts={props.alerts} csrfToken={props.csrfToken} canResolve={props.canResolve} />
      </div>
      <section class="card monitor-log" aria-labelledby="monitor-log-title">
        <h2 id="monitor-log-title">{t("monitor:logTitle")}</h2>
        {props.actions.length === 0 ? (
          <EmptyState>{t("monitor:logEmpty")}</EmptyState>
        ) : (
          <ul class="plain small">
            {props.actions.map((a) => (
              <li data-action={a.action}>
                <Time at={a.createdAt} /> · <span safe>{a.actorName ?? tText("monitor:system")}</span> · {t(`monitor:actions.${a.action}`)}
                {a.conversationId ? (
                  <>
                    {" · "}
                    <a href={`/inbox/${a.conversationId}`}>{t("monitor:openConversation")}</a>
                  </>
                ) : (
                  ""
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <script src="/static/monitor.js" defer />
    </AdminLayout>
  );
}
