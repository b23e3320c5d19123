import type { AdminContext } from "@/auth/plugin";
import { CAMPAIGN_STATUSES, type Campaign, type CampaignStatus } from "@/db/schema/campaigns";
import type { Flash } from "@/lib/flash";
import { formatNumber, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time } from "../components/ui";

export type CampaignCounts = { total: number; states: Record<string, number> };

const STATUS_TONE: Record<CampaignStatus, "ok" | "warn" | "bad" | "muted"> = {
  draft: "muted",
  running: "ok",
  paused: "warn",
  completed: "ok",
  cancelled: "bad",
};

export function StatusBadge({ status }: { status: CampaignStatus }) {
  return (
    <span data-status={status}>
      <Badge tone={STATUS_TONE[status]}>{t(`campaigns:status.${status}`)}</Badge>
    </span>
  );
}

/** Targets that need nothing more (sent onwards, failed or skipped) out of all. */
export function processedOf(counts: CampaignCounts): number {
  const s = counts.states;
  return (s.sent ?? 0) + (s.delivered ?? 0) + (s.read ?? 0) + (s.replied ?? 0) + (s.failed ?? 0) + (s.skipped ?? 0);
}

/** The list (and its htmx fragment when the status filter changes). */
export function CampaignList({ campaigns, counts }: { campaigns: readonly Campaign[]; counts: ReadonlyMap<string, CampaignCounts> }) {
  if (campaigns.length === 0)
    return (
      <div id="campaign-list">
        <EmptyState>{t("campaigns:empty")}</EmptyState>
      </div>
    );
  return (
    <div id="campaign-list" class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{t("campaigns:columns.name")}</th>
            <th>{t("campaigns:columns.status")}</th>
            <th>{t("campaigns:columns.targets")}</th>
            <th>{t("campaigns:columns.progress")}</th>
            <th>{t("campaigns:columns.created")}</th>
          </tr>
        </thead>
        <tbody>
          {campaigns.map((c) => {
            const n = counts.get(c.id) ?? { total: 0, states: {} };
            const done = processedOf(n);
            return (
              <tr data-campaign={c.id}>
                <td>
                  <a href={`/campaigns/${c.id}`} safe>
                    {c.name}
                  </a>
                </td>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td safe>{formatNumber(n.total)}</td>
                <td>
                  <progress max={String(Math.max(1, n.total))} value={String(done)} />{" "}
                  <span class="small muted" safe>
                    {tText("campaigns:progressOf", { done: formatNumber(done), total: formatNumber(n.total) })}
                  </span>
                </td>
                <td>
                  <Time at={c.createdAt} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function CampaignsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  campaigns: readonly Campaign[];
  counts: ReadonlyMap<string, CampaignCounts>;
  status?: CampaignStatus;
}) {
  return (
    <AdminLayout title={tText("campaigns:title")} admin={props.admin} csrfToken={props.csrfToken} active="campaigns" flash={props.flash}>
      <link rel="stylesheet" href="/static/campaigns.css" />
      <div class="row campaign-head">
        <h1>{t("campaigns:title")}</h1>
        <span class="spacer" />
        <a href="/campaigns/consent" class="button secondary">
          {t("campaigns:consentLink")}
        </a>
        <a href="/campaigns/new" class="button">
          {t("campaigns:newCampaign")}
        </a>
      </div>
      <p class="muted">{t("campaigns:intro")}</p>
      <form
        method="get"
        action="/campaigns"
        class="row"
        hx-get="/campaigns"
        hx-trigger="change"
        hx-target="#campaign-list"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <label for="f-status">{t("campaigns:filter.label")}</label>
        <select id="f-status" name="status">
          <option value="" selected={!props.status}>
            {t("campaigns:filter.all")}
          </option>
          {CAMPAIGN_STATUSES.map((s) => (
            <option value={s} selected={props.status === s}>
              {t(`campaigns:status.${s}`)}
            </option>
          ))}
        </select>
        <noscript>
          <button type="submit">{t("campaigns:filter.apply")}</button>
        </noscript>
      </form>
      <CampaignList campaigns={props.campaigns} counts={props.counts} />
    </AdminLayout>
  );
}
