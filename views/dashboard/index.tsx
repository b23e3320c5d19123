import type { AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import type { Flash } from "@/lib/flash";
import { currentLocale, formatNumber, t, tText } from "@/lib/i18n";
import type { DashboardStats } from "@/features/dashboard/dashboard.service";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, Time } from "../components/ui";

type Props = { admin: AdminContext; csrfToken: string; flash?: Flash; stats: DashboardStats };

const fmt = (n: number) => formatNumber(n);

function Stat({ label, value, sub, href }: { label: string; value: string; sub?: string; href?: string }) {
  return (
    <div class="card">
      <div class="muted small" safe>
        {label}
      </div>
      <div class="stat" safe>
        {value}
      </div>
      {sub ? (
        <div class="muted small" safe>
          {sub}
        </div>
      ) : (
        ""
      )}
      {href ? (
        <a href={href} class="small">
          {t("dashboard:details")}
        </a>
      ) : (
        ""
      )}
    </div>
  );
}

/** What is still missing for a working setup, each step with a link (or who to ask). */
function GettingStarted({ admin, stats }: { admin: AdminContext; stats: DashboardStats }) {
  const steps: JSX.Element[] = [];
  if (stats.instances.total === 0) {
    steps.push(
      <li>
        {can.manageInstances(admin.role) ? (
          <a href="/instances">{t("dashboard:gettingStarted.createInstance")}</a>
        ) : (
          <span>{t("dashboard:gettingStarted.askInstance")}</span>
        )}
        {t("dashboard:gettingStarted.instanceWhy")}
      </li>,
    );
  } else if (stats.instances.connected === 0) {
    steps.push(
      <li>
        <a href="/instances">{t("dashboard:gettingStarted.connectInstance")}</a>
        {t("dashboard:gettingStarted.connectWhy")}
      </li>,
    );
  }
  if (stats.activeApiKeys === 0) {
    steps.push(
      <li>
        {can.manageKeys(admin.role) ? <a href="/api-keys">{t("dashboard:gettingStarted.createKey")}</a> : <span>{t("dashboard:gettingStarted.askKey")}</span>}
        {t("dashboard:gettingStarted.keyWhy")}
      </li>,
    );
  }
  if (stats.activeWebhooks === 0) {
    steps.push(
      <li>
        {can.manageWebhooks(admin.role) ? (
          <a href="/webhooks">{t("dashboard:gettingStarted.addWebhook")}</a>
        ) : (
          <span>{t("dashboard:gettingStarted.askWebhook")}</span>
        )}
        {t("dashboard:gettingStarted.webhookWhy")}
      </li>,
    );
  }
  if (steps.length === 0) return "";
  return (
    <section class="card getting-started">
      <h2>{t("dashboard:gettingStarted.title")}</h2>
      <ol>{steps}</ol>
    </section>
  );
}

/** "60.0%" / "60,0%": one decimal, none for a perfect 100%. */
function percent(rate: number): string {
  const digits = rate === 1 ? 0 : 1;
  return new Intl.NumberFormat(currentLocale(), { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(rate);
}

export function DashboardPage({ admin, csrfToken, flash, stats }: Props) {
  const { deliveries } = stats;
  const rate = deliveries.successRate === null ? "—" : percent(deliveries.successRate);
  const rateSub =
    deliveries.successRate === null
      ? deliveries.pending > 0
        ? tText("dashboard:stats.pending", { n: fmt(deliveries.pending) })
        : tText("dashboard:stats.noDeliveries")
      : tText("dashboard:stats.deliveries", { ok: fmt(deliveries.succeeded), failing: fmt(deliveries.failing), pending: fmt(deliveries.pending) });
  return (
    <AdminLayout title={tText("dashboard:title")} admin={admin} csrfToken={csrfToken} active="dashboard" flash={flash}>
      <h1 safe>{admin.organization.name}</h1>
      <GettingStarted admin={admin} stats={stats} />
      <div class="grid dash-stats">
        <Stat
          label={tText("dashboard:stats.instances")}
          value={`${fmt(stats.instances.connected)} / ${fmt(stats.instances.total)}`}
          sub={tText("dashboard:stats.instancesSub")}
          href="/instances"
        />
        <Stat
          label={tText("dashboard:stats.messages")}
          value={fmt(stats.today.messagesSent + stats.today.messagesReceived)}
          sub={tText("dashboard:stats.messagesSub", { sent: fmt(stats.today.messagesSent), received: fmt(stats.today.messagesReceived) })}
          href="/usage"
        />
        <Stat
          label={tText("dashboard:stats.apiCalls")}
          value={fmt(stats.today.apiCalls)}
          sub={tText("dashboard:stats.apiCallsSub", { day: stats.today.day })}
          href="/usage"
        />
        <Stat label={tText("dashboard:stats.webhooks")} value={rate} sub={rateSub} href={can.manageWebhooks(admin.role) ? "/webhooks" : undefined} />
        <Stat label={tText("dashboard:stats.members")} value={fmt(stats.members)} href="/members" />
      </div>
      <section>
        <h2>{t("dashboard:events.title")}</h2>
        {stats.recentEvents.length === 0 ? (
          <EmptyState>{t("dashboard:events.empty")}</EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="stack-table">
              <thead>
                <tr>
                  <th>{t("dashboard:events.event")}</th>
                  <th>{t("dashboard:events.instance")}</th>
                  <th>{t("dashboard:events.when")}</th>
                </tr>
              </thead>
              <tbody>
                {stats.recentEvents.map((e) => (
                  <tr>
                    <td data-label="">
                      <code safe>{e.type}</code>
                    </td>
                    <td data-label={tText("dashboard:events.instance")}>
                      {e.instanceId ? (
                        <a href={`/instances/${e.instanceId}`} safe>
                          {e.instanceName ?? tText("dashboard:events.instanceFallback")}
                        </a>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                    <td data-label={tText("dashboard:events.when")}>
                      <Time at={e.at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p>
          <a href="/events">{t("dashboard:events.all")}</a>
        </p>
      </section>
    </AdminLayout>
  );
}
