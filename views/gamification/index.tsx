import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { GamificationSettings, HistoryEntry, RankingEntry } from "@/features/gamification/gamification.service";
import type { Period } from "@/features/gamification/gamification.period";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, fieldError } from "../components/ui";

const SETTING_FIELDS = [
  "npsWeight",
  "volumeWeight",
  "resolutionWeight",
  "responseTimeWeight",
  "solucionadorNpsMin",
  "solucionadorResolutionMin",
  "velocistaNpsMin",
  "velocistaTopN",
  "campeaoVolumeTopN",
  "targetResolution",
  "targetResponseTime",
  "targetVolume",
] as const;

function Badges(props: { badges: string[] }) {
  return (
    <span class="row wrap">
      {props.badges.map((b) => (
        <Badge tone="ok">{t(`gamification:badges.${b}`)}</Badge>
      ))}
    </span>
  );
}

export function GamificationPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  period: Period;
  entries: RankingEntry[];
  history: HistoryEntry[];
  settings: GamificationSettings;
  participates: boolean;
  canManage: boolean;
  errors?: FieldError[];
}) {
  const s = props.settings;
  const c = (k: string) => tText(`gamification:columns.${k}`);
  return (
    <AdminLayout title={tText("gamification:title")} admin={props.admin} csrfToken={props.csrfToken} active="gamification" flash={props.flash}>
      <h1>{t("gamification:title")}</h1>
      <form class="row card wrap" method="get" action="/gamification">
        <div class="field">
          <label for="g-period">{t("gamification:period")}</label>
          <input id="g-period" name="period" value={props.period.key} />
        </div>
        <div class="field">
          <button type="submit">{t("gamification:show")}</button>
        </div>
      </form>
      <p class="muted">{t("gamification:formula", { nps: s.npsWeight, volume: s.volumeWeight, resolution: s.resolutionWeight, time: s.responseTimeWeight })}</p>
      {props.canManage ? (
        <form method="post" action={`/gamification/calculate?period=${encodeURIComponent(props.period.key)}`}>
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <button type="submit">{t("gamification:calculate")}</button>
        </form>
      ) : (
        ""
      )}
      <section class="card">
        <h2 safe>{`${tText("gamification:title")} — ${props.period.key} (${props.period.from} – ${props.period.to})`}</h2>
        {props.entries.length === 0 ? (
          <EmptyState>{t("gamification:noScores")}</EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="stack-table" id="ranking">
              <thead>
                <tr>
                  <th safe>{c("ranking")}</th>
                  <th safe>{c("agent")}</th>
                  <th safe>{c("total")}</th>
                  <th safe>{c("badges")}</th>
                  <th safe>{c("conversations")}</th>
                  <th safe>{c("avgNps")}</th>
                  <th safe>{c("successRate")}</th>
                  <th safe>{c("avgResponseTime")}</th>
                  <th safe>{c("scores")}</th>
                </tr>
              </thead>
              <tbody>
                {props.entries.map((e) => (
                  <tr data-agent={e.agentUserId}>
                    <td data-label={c("ranking")} safe>
                      {String(e.ranking)}
                    </td>
                    <td data-label={c("agent")} class="truncate" safe>
                      {e.agentName}
                    </td>
                    <td data-label={c("total")} safe>
                      {String(e.totalScore)}
                    </td>
                    <td data-label={c("badges")}>
                      <Badges badges={e.badges} />
                    </td>
                    <td data-label={c("conversations")}>{e.metrics ? String(e.metrics.totalConversations) : "—"}</td>
                    <td data-label={c("avgNps")} safe>
                      {e.metrics?.avgNps == null ? "—" : String(e.metrics.avgNps)}
                    </td>
                    <td data-label={c("successRate")}>{e.metrics ? String(e.metrics.successRate) : "—"}</td>
                    <td data-label={c("avgResponseTime")} safe>
                      {e.metrics?.avgResponseTime == null ? "—" : String(e.metrics.avgResponseTime)}
                    </td>
                    <td data-label={c("scores")}>
                      {e.metrics ? `${e.metrics.npsScore} / ${e.metrics.volumeScore} / ${e.metrics.resolutionScore} / ${e.metrics.timeScore}` : "—"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card">
        <h2>{t("gamification:participation.label")}</h2>
        <form method="post" action="/gamification/participation" class="row wrap">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <label>
            <input type="checkbox" name="participates" checked={props.participates} /> {t("gamification:participation.label")}
          </label>
          <button type="submit">{t("gamification:participation.save")}</button>
        </form>
        <p class="muted">{props.participates ? t("gamification:participation.in") : t("gamification:participation.out")}</p>
      </section>
      <section class="card">
        <h2>{t("gamification:historyTitle")}</h2>
        {props.history.length === 0 ? (
          <EmptyState>{t("gamification:noHistory")}</EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="stack-table" id="history">
              <thead>
                <tr>
                  <th>{t("gamification:period")}</th>
                  <th safe>{c("ranking")}</th>
                  <th safe>{c("agent")}</th>
                  <th safe>{c("total")}</th>
                  <th safe>{c("badges")}</th>
                </tr>
              </thead>
              <tbody>
                {props.history.map((h) => (
                  <tr>
                    <td data-label={tText("gamification:period")} safe>
                      {h.period}
                    </td>
                    <td data-label={c("ranking")} safe>
                      {String(h.ranking)}
                    </td>
                    <td data-label={c("agent")} class="truncate" safe>
                      {h.agentName}
                    </td>
                    <td data-label={c("total")} safe>
                      {String(h.totalScore)}
                    </td>
                    <td data-label={c("badges")}>
                      <Badges badges={h.badges} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {props.canManage ? (
        <section class="card">
          <h2>{t("gamification:settingsTitle")}</h2>
          <form method="post" action="/gamification/settings" class="row wrap" id="gamification-settings">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            {SETTING_FIELDS.map((f) => (
              <div class={fieldError(props.errors, f) ? "field has-error" : "field"}>
                <label for={`g-${f}`}>{t(`gamification:fields.${f}`)}</label>
                <input id={`g-${f}`} type="number" name={f} value={String(s[f])} required />
                {fieldError(props.errors, f) ? (
                  <small class="error" safe>
                    {fieldError(props.errors, f)}
                  </small>
                ) : (
                  ""
                )}
              </div>
            ))}
            <div class="field">
              <label for="g-calculationPeriod">{t("gamification:fields.calculationPeriod")}</label>
              <select id="g-calculationPeriod" name="calculationPeriod">
                {(["weekly", "monthly", "quarterly"] as const).map((p) => (
                  <option value={p} selected={p === s.calculationPeriod}>
                    {t(`gamification:periods.${p}`)}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <button type="submit">{t("gamification:fields.save")}</button>
            </div>
          </form>
        </section>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
