import type { AdminContext } from "@/auth/plugin";
import { TARGET_STATES, type Campaign, type TargetState } from "@/db/schema/campaigns";
import type { ReportRow, RiskWarning } from "@/features/campaigns/campaign.service";
import type { Flash } from "@/lib/flash";
import { formatNumber, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Time } from "../components/ui";
import { StatusBadge, processedOf, type CampaignCounts } from "./index";

const ACTIONS = {
  start: ["draft"],
  pause: ["running"],
  resume: ["paused"],
  cancel: ["draft", "running", "paused"],
} as const satisfies Record<string, readonly Campaign["status"][]>;

function Actions({ campaign, csrfToken }: { campaign: Pick<Campaign, "id" | "status">; csrfToken: string }) {
  const allowed = (Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]).filter((a) => (ACTIONS[a] as readonly string[]).includes(campaign.status));
  if (allowed.length === 0) return "";
  return (
    <div class="row campaign-actions">
      {allowed.map((action) => (
        <form
          method="post"
          action={`/campaigns/${campaign.id}/${action}`}
          class="inline"
          hx-confirm={action === "cancel" ? tText("campaigns:actions.confirmCancel") : undefined}
        >
          <CsrfField token={csrfToken} />
          <button type="submit" class={action === "cancel" ? "danger" : action === "start" ? undefined : "secondary"} data-action={action}>
            {t(`campaigns:actions.${action}`)}
          </button>
        </form>
      ))}
    </div>
  );
}

/**
 * Status, actions and targets per state: the card the detail page swaps in from its SSE stream at every
 * target change (static/campaigns.js), and the answer of GET /campaigns/:id/progress.
 */
export function CampaignLive(props: { campaign: Pick<Campaign, "id" | "status">; progress: CampaignCounts; csrfToken: string }) {
  const { campaign, progress } = props;
  const done = processedOf(progress);
  return (
    <section id="campaign-progress" class="card" data-status={campaign.status} aria-live="polite">
      <div class="row">
        <h2>{t("campaigns:detail.progress")}</h2>
        <StatusBadge status={campaign.status} />
        <span class="spacer" />
        <span class="muted small">{t("campaigns:page.live")}</span>
      </div>
      <progress class="campaign-bar" max={String(Math.max(1, progress.total))} value={String(done)} />
      <p class="small" safe>
        {tText("campaigns:progressOf", { done: formatNumber(done), total: formatNumber(progress.total) })}
      </p>
      <dl class="campaign-counts">
        <div data-state="total">
          <dt>{t("campaigns:detail.total")}</dt>
          <dd data-count={String(progress.total)} safe>
            {formatNumber(progress.total)}
          </dd>
        </div>
        {TARGET_STATES.map((state) => (
          <div data-state={state}>
            <dt>{t(`campaigns:state.${state}`)}</dt>
            <dd data-count={String(progress.states[state] ?? 0)} safe>
              {formatNumber(progress.states[state] ?? 0)}
            </dd>
          </div>
        ))}
      </dl>
      <Actions campaign={campaign} csrfToken={props.csrfToken} />
    </section>
  );
}

function stateHref(campaignId: string, state?: TargetState, cursor?: string | null): string {
  const q = new URLSearchParams();
  if (state) q.set("state", state);
  if (cursor) q.set("cursor", cursor);
  const s = q.toString();
  return `/campaigns/${campaignId}/targets${s ? `?${s}` : ""}`;
}

const STATE_TONE: Partial<Record<TargetState, "ok" | "warn" | "bad">> = {
  delivered: "ok",
  read: "ok",
  replied: "ok",
  failed: "bad",
  skipped: "warn",
};

/** The per-target table with its state filter and pager (an htmx fragment of its own). */
export function TargetTable(props: { campaignId: string; rows: readonly ReportRow[]; nextCursor: string | null; state?: TargetState }) {
  return (
    <section id="campaign-targets">
      <form
        method="get"
        action={`/campaigns/${props.campaignId}`}
        class="row"
        hx-get={`/campaigns/${props.campaignId}/targets`}
        hx-trigger="change"
        hx-target="#campaign-targets"
        hx-swap="outerHTML"
      >
        <label for="f-state">{t("campaigns:page.filterState")}</label>
        <select id="f-state" name="state">
          <option value="" selected={!props.state}>
            {t("campaigns:page.allStates")}
          </option>
          {TARGET_STATES.map((s) => (
            <option value={s} selected={props.state === s}>
              {t(`campaigns:state.${s}`)}
            </option>
          ))}
        </select>
        <noscript>
          <button type="submit">{t("campaigns:filter.apply")}</button>
        </noscript>
      </form>
      {props.rows.length === 0 ? (
        <EmptyState>{t("campaigns:page.noTargets")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="campaign-targets">
            <thead>
              <tr>
                <th>{t("campaigns:report.phone")}</th>
                <th>{t("campaigns:report.name")}</th>
                <th>{t("campaigns:report.state")}</th>
                <th>{t("campaigns:report.skipReason")}</th>
                <th>{t("campaigns:report.attempts")}</th>
                <th>{t("campaigns:report.variant")}</th>
                <th>{t("campaigns:report.sentAt")}</th>
                <th>{t("campaigns:report.readAt")}</th>
                <th>{t("campaigns:report.repliedAt")}</th>
                <th>{t("campaigns:report.optedOutAt")}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr data-target={r.targetId} data-state={r.state}>
                  <td safe>{r.phone ?? ""}</td>
                  <td safe>{r.name ?? ""}</td>
                  <td>
                    <Badge tone={STATE_TONE[r.state]}>{t(`campaigns:state.${r.state}`)}</Badge>
                  </td>
                  <td>
                    {r.skipReason ? t(`campaigns:skip.${r.skipReason}`) : ""}
                    {r.error ? (
                      <span class="small muted" safe>
                        {r.error}
                      </span>
                    ) : (
                      ""
                    )}
                  </td>
                  <td safe>{String(r.attempts)}</td>
                  <td safe>{r.variantIndex === null ? "" : tText("campaigns:page.variant", { n: r.variantIndex + 1 })}</td>
                  <td>
                    <Time at={r.sentAt} />
                  </td>
                  <td>
                    <Time at={r.readAt} />
                  </td>
                  <td>
                    <Time at={r.repliedAt} />
                  </td>
                  <td data-opted-out={r.optedOutAt ? "1" : undefined}>
                    <Time at={r.optedOutAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextCursor ? (
        <p class="pager">
          <a
            href={stateHref(props.campaignId, props.state, props.nextCursor)}
            hx-get={stateHref(props.campaignId, props.state, props.nextCursor)}
            hx-target="#campaign-targets"
            hx-swap="outerHTML"
          >
            {t("campaigns:page.next")}
          </a>
        </p>
      ) : (
        ""
      )}
    </section>
  );
}

/** The report's figures: skipped by reason and the opt-outs this campaign caused, with the CSV of every target. */
export function CampaignReport(props: { campaignId: string; summary: { skipReasons: Record<string, number>; optedOut: number } }) {
  const reasons = Object.entries(props.summary.skipReasons);
  return (
    <section id="campaign-report" class="card">
      <div class="row">
        <h2>{t("campaigns:detail.report")}</h2>
        <span class="spacer" />
        <a class="button secondary" href={`/campaigns/${props.campaignId}/export.csv`}>
          {t("campaigns:actions.exportCsv")}
        </a>
      </div>
      <dl class="campaign-counts">
        <div data-report="opted-out">
          <dt>{t("campaigns:page.optedOut")}</dt>
          <dd data-count={String(props.summary.optedOut)} safe>
            {formatNumber(props.summary.optedOut)}
          </dd>
        </div>
        {reasons.map(([reason, n]) => (
          <div data-skip={reason}>
            <dt>{t(`campaigns:skip.${reason}`)}</dt>
            <dd data-count={String(n)} safe>
              {formatNumber(n)}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

type Preview = { targetId: string; phone: string | null; name: string | null; variantIndex: number; body: string };
type Risk = { audience: number; perDay: number; daysNeeded: number | null; warnings: RiskWarning[] };

function PreviewAndRisk({ preview, risk }: { preview: readonly Preview[]; risk: Risk }) {
  return (
    <div class="grid-2 campaign-check">
      <section class="card" id="campaign-risk">
        <h2>{t("campaigns:detail.risk")}</h2>
        {risk.warnings.length === 0 ? (
          <p class="muted">{t("campaigns:detail.noRisk")}</p>
        ) : (
          <ul class="campaign-warnings">
            {risk.warnings.map((w) => (
              <li data-risk={w.code} safe>
                {w.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card" id="campaign-preview">
        <h2>{t("campaigns:detail.preview")}</h2>
        <ul class="plain-list">
          {preview.map((p) => (
            <li>
              <span class="small muted" safe>
                {[p.name, p.phone, tText("campaigns:page.variant", { n: p.variantIndex + 1 })].filter(Boolean).join(" · ")}
              </span>
              <blockquote class="campaign-message" safe>
                {p.body}
              </blockquote>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

function Settings({ campaign, instanceNames }: { campaign: Campaign; instanceNames: ReadonlyMap<string, string> }) {
  const days = campaign.activeHours.weekdays.map((d) => tText(`campaigns:weekday.${d}`)).join(", ");
  return (
    <section class="card">
      <dl class="campaign-settings">
        <dt>{t("campaigns:page.schedule")}</dt>
        <dd>
          {campaign.startsAt || campaign.endsAt ? (
            <>
              <Time at={campaign.startsAt} /> – <Time at={campaign.endsAt} />
            </>
          ) : (
            t("campaigns:page.noSchedule")
          )}
          <br />
          <span safe>{tText("campaigns:page.activeHours", { days, start: campaign.activeHours.start, end: campaign.activeHours.end })}</span>
        </dd>
        <dt>{t("campaigns:page.numbers")}</dt>
        <dd safe>{campaign.instanceIds.map((id) => instanceNames.get(id) ?? id).join(", ")}</dd>
        <dd safe>
          {tText("campaigns:page.pacing", {
            perMinute: campaign.pacing.perMinute,
            jitter: campaign.pacing.jitterPercent,
            cap: campaign.pacing.dailyCap,
            warmup: campaign.pacing.warmupDays,
            warmupStart: campaign.pacing.warmupStartPerDay,
          })}
        </dd>
        <dt>{t("campaigns:page.sectionAttempts")}</dt>
        <dd safe>{tText("campaigns:page.attempts", { max: campaign.maxAttempts, spacing: campaign.attemptSpacingMinutes })}</dd>
        <dd>{campaign.stopOnReply ? t("campaigns:page.stopOnReplyYes") : t("campaigns:page.stopOnReplyNo")}</dd>
        {campaign.message.mediaUrl ? (
          <>
            <dt>{t("campaigns:page.media")}</dt>
            <dd safe>{campaign.message.mediaUrl}</dd>
          </>
        ) : (
          ""
        )}
      </dl>
    </section>
  );
}

export function CampaignPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  campaign: Campaign;
  progress: CampaignCounts;
  summary: { skipReasons: Record<string, number>; optedOut: number };
  preview: readonly Preview[];
  risk: Risk;
  targets: { rows: readonly ReportRow[]; nextCursor: string | null; state?: TargetState };
  instanceNames: ReadonlyMap<string, string>;
}) {
  const c = props.campaign;
  return (
    <AdminLayout title={c.name} admin={props.admin} csrfToken={props.csrfToken} active="campaigns" flash={props.flash}>
      <link rel="stylesheet" href="/static/campaigns.css" />
      <p>
        <a href="/campaigns">{t("campaigns:back")}</a>
      </p>
      <div class="row campaign-head">
        <h1 safe>{c.name}</h1>
        <span class="spacer" />
        {c.status === "draft" ? (
          <a class="button secondary" href={`/campaigns/${c.id}/edit`}>
            {t("campaigns:page.edit")}
          </a>
        ) : (
          ""
        )}
      </div>
      {c.status === "draft" ? <p class="muted">{t("campaigns:page.startHint")}</p> : ""}
      <div data-campaign-stream={`/campaigns/${c.id}/stream`}>
        <CampaignLive campaign={c} progress={props.progress} csrfToken={props.csrfToken} />
      </div>
      <script src="/static/campaigns.js" defer />
      <PreviewAndRisk preview={props.preview} risk={props.risk} />
      <Settings campaign={c} instanceNames={props.instanceNames} />
      <CampaignReport campaignId={c.id} summary={props.summary} />
      <h2>{t("campaigns:page.targets")}</h2>
      <TargetTable campaignId={c.id} rows={props.targets.rows} nextCursor={props.targets.nextCursor} state={props.targets.state} />
    </AdminLayout>
  );
}
