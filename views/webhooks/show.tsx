import type { AdminContext } from "@/auth/plugin";
import { DELIVERY_STATUSES } from "@/db/schema";
import { EVENT_TYPES } from "@/features/events/event.schema";
import type { Delivery, ListedDelivery } from "@/features/webhooks/delivery.log";
import { deliveryErrorText, DISABLED_REASON } from "@/features/webhooks/webhook.schema";
import type { Webhook, WebhookStats } from "@/features/webhooks/webhook.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { currentTimeZone, formatDateTime, formatNumber, localDateTimeInZone, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Time } from "../components/ui";
import { eventTypesLabel, SuccessRate, WebhookStatus } from "./index";

export function DeliveryStatus({ status }: { status: Delivery["status"] }) {
  const tone = status === "succeeded" ? "ok" : status === "pending" || status === "failed" ? "warn" : status === "exhausted" ? "bad" : "muted";
  return <Badge tone={tone}>{t(DELIVERY_STATUS_LABEL[status])}</Badge>;
}

const DELIVERY_STATUS_LABEL = {
  pending: "webhooks:deliveryStatus.pending",
  succeeded: "webhooks:deliveryStatus.succeeded",
  failed: "webhooks:deliveryStatus.failed",
  exhausted: "webhooks:deliveryStatus.exhausted",
  cancelled: "webhooks:deliveryStatus.cancelled",
} as const satisfies Record<Delivery["status"], string>;

/** The stored reason (stable English, see DISABLED_REASON) in the reader's words; an unknown one as stored. */
function disabledReasonText(reason: string | null): string {
  if (!reason) return "";
  if (reason === DISABLED_REASON.user) return tText("webhooks:disabledReason.user");
  if (reason === DISABLED_REASON.gone) return tText("webhooks:disabledReason.gone");
  if (reason.startsWith(DISABLED_REASON.failingSince)) {
    const since = new Date(reason.slice(DISABLED_REASON.failingSince.length));
    return Number.isNaN(since.getTime())
      ? tText("webhooks:disabledReason.failingForDays")
      : tText("webhooks:disabledReason.failingSince", { since: formatDateTime(since) });
  }
  return reason;
}

export type DeliveryFilters = { status?: string; eventType?: string };

function filterQuery(filters: DeliveryFilters, cursor?: string): string {
  const q = new URLSearchParams();
  if (filters.status) q.set("status", filters.status);
  if (filters.eventType) q.set("eventType", filters.eventType);
  if (cursor) q.set("cursor", cursor);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * The rows and the pager. On the newest page it refreshes itself every 5 s (htmx polling of a
 * cheap indexed query) so retries and new deliveries show up without a reload.
 */
export function DeliveryRows({
  webhook,
  deliveries,
  nextCursor,
  filters,
  cursor,
}: {
  webhook: Webhook;
  deliveries: ListedDelivery[];
  nextCursor: string | null;
  filters: DeliveryFilters;
  cursor?: string;
}) {
  const poll = cursor
    ? {}
    : { "hx-get": `/webhooks/${webhook.id}/log${filterQuery(filters)}`, "hx-trigger": "every 5s", "hx-swap": "outerHTML", "hx-target": "this" };
  return (
    <div id="delivery-rows" {...poll}>
      {deliveries.length === 0 ? (
        <EmptyState>{t("webhooks:log.noMatch")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table id="delivery-table" class="stack-table">
            <thead>
              <tr>
                <th>{t("webhooks:log.event")}</th>
                <th>{t("webhooks:log.status")}</th>
                <th>{t("webhooks:log.attempts")}</th>
                <th>{t("webhooks:log.lastAnswer")}</th>
                <th>{t("webhooks:log.created")}</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr id={`delivery-${d.id}`}>
                  <td>
                    <a href={`/webhooks/${webhook.id}/deliveries/${d.id}`}>
                      <code safe>{d.eventType}</code>
                    </a>
                  </td>
                  <td data-label={tText("webhooks:log.status")}>
                    <DeliveryStatus status={d.status} />
                    {d.status === "failed" || d.status === "pending" ? (
                      <div class="small muted">
                        {t("webhooks:log.next")} <Time at={d.nextAttemptAt} />
                      </div>
                    ) : (
                      ""
                    )}
                  </td>
                  <td data-label={tText("webhooks:log.attempts")} safe>
                    {formatNumber(d.attempts)}
                  </td>
                  <td class="small" data-label={tText("webhooks:log.lastAnswer")} safe>
                    {d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : d.lastError ? deliveryErrorText(d.lastError) : "—"}
                  </td>
                  <td class="small" data-label={tText("webhooks:log.created")}>
                    <Time at={d.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <p>
          <a href={`/webhooks/${webhook.id}${filterQuery(filters, nextCursor)}`}>{t("webhooks:log.older")}</a>
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

export function DeliveryLog({
  webhook,
  deliveries,
  nextCursor,
  filters,
  cursor,
}: {
  webhook: Webhook;
  deliveries: ListedDelivery[];
  nextCursor: string | null;
  filters: DeliveryFilters;
  cursor?: string;
}) {
  return (
    <section id="delivery-log">
      <h2>{t("webhooks:log.title")}</h2>
      <form method="get" action={`/webhooks/${webhook.id}`} class="filters">
        <label class="sr-only" for="filter-status">
          {t("webhooks:log.status")}
        </label>
        <select id="filter-status" name="status">
          <option value="">{t("webhooks:log.anyStatus")}</option>
          {DELIVERY_STATUSES.map((s) => (
            <option value={s} selected={filters.status === s}>
              {t(DELIVERY_STATUS_LABEL[s])}
            </option>
          ))}
        </select>
        <label class="sr-only" for="filter-type">
          {t("webhooks:log.eventType")}
        </label>
        <select id="filter-type" name="eventType">
          <option value="">{t("webhooks:log.anyEventType")}</option>
          {EVENT_TYPES.map((t) => (
            <option value={t} selected={filters.eventType === t}>
              {t}
            </option>
          ))}
        </select>
        <div class="row filter-actions">
          <button type="submit" class="secondary">
            {t("webhooks:log.filter")}
          </button>
          {filters.status || filters.eventType ? <a href={`/webhooks/${webhook.id}`}>{t("webhooks:log.clear")}</a> : ""}
        </div>
      </form>
      <DeliveryRows webhook={webhook} deliveries={deliveries} nextCursor={nextCursor} filters={filters} cursor={cursor} />
    </section>
  );
}

export function WebhookShowPage({
  admin,
  csrfToken,
  flash,
  webhook,
  stats,
  deliveries,
  nextCursor,
  filters,
  recoverErrors,
  recoverSince,
  cursor,
}: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  webhook: Webhook;
  stats?: WebhookStats;
  deliveries: ListedDelivery[];
  nextCursor: string | null;
  filters: DeliveryFilters;
  recoverErrors?: FieldError[];
  recoverSince?: string;
  cursor?: string;
}) {
  const recoverError = recoverErrors?.find((e) => e.path === "since" || e.path === "(body)")?.message;
  const base = `/webhooks/${webhook.id}`;
  const defaultSince = localDateTimeInZone(new Date(Date.now() - 24 * 3600_000));
  return (
    <AdminLayout title={webhook.name || tText("webhooks:show.fallbackTitle")} admin={admin} csrfToken={csrfToken} active="webhooks" flash={flash}>
      <p class="small">
        <a href="/webhooks">{t("webhooks:show.back")}</a>
      </p>
      <div class="row">
        <h1 safe>{webhook.name || webhook.url}</h1>
        <WebhookStatus webhook={webhook} />
      </div>
      <div class="card">
        <dl class="kv">
          <dt>{t("webhooks:show.kind")}</dt>
          <dd>{t(`webhooks:kind.${webhook.kind}`)}</dd>
          <dt>{t("webhooks:show.url")}</dt>
          <dd>
            <code safe>{webhook.url}</code>
          </dd>
          {webhook.kind === "rabbitmq" ? (
            <>
              <dt>{t("webhooks:form.exchange")}</dt>
              <dd>
                <code safe>{webhook.sinkOptions?.exchange || "livchat"}</code>
              </dd>
            </>
          ) : (
            ""
          )}
          {webhook.kind === "nats" ? (
            <>
              <dt>{t("webhooks:form.stream")}</dt>
              <dd>
                <code safe>{webhook.sinkOptions?.stream || `LIVCHAT-${webhook.organizationId}`}</code>
              </dd>
            </>
          ) : (
            ""
          )}
          <dt>{t("webhooks:show.events")}</dt>
          <dd safe>{eventTypesLabel(webhook.eventTypes)}</dd>
          <dt>{t("webhooks:show.instances")}</dt>
          <dd>{webhook.instanceIds ? t("webhooks:show.instancesSelected", { count: webhook.instanceIds.length }) : t("webhooks:show.allInstances")}</dd>
          <dt>{t("webhooks:show.success")}</dt>
          <dd>
            <SuccessRate stats={stats} />
          </dd>
          {webhook.failingSince ? (
            <>
              <dt>{t("webhooks:show.failingSince")}</dt>
              <dd>
                <Time at={webhook.failingSince} />
              </dd>
            </>
          ) : (
            ""
          )}
          {!webhook.active ? (
            <>
              <dt>{t("webhooks:show.disabled")}</dt>
              <dd>
                <Time at={webhook.disabledAt} /> <span safe>{disabledReasonText(webhook.disabledReason)}</span>
              </dd>
            </>
          ) : (
            ""
          )}
          {webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > new Date() ? (
            <>
              <dt>{t("webhooks:show.previousSecret")}</dt>
              <dd>
                {t("webhooks:show.stillSigns")} <Time at={webhook.previousSecretExpiresAt} />
              </dd>
            </>
          ) : (
            ""
          )}
        </dl>
        <div class="row actions">
          <a class="button secondary" href={`${base}/edit`}>
            {t("common:actions.edit")}
          </a>
          <form method="post" action={`${base}/test`}>
            <CsrfField token={csrfToken} />
            <button type="submit" class="secondary" disabled={!webhook.active}>
              {t("webhooks:show.sendTest")}
            </button>
          </form>
          <form method="post" action={`${base}/rotate`} data-confirm={tText("webhooks:show.rotateConfirm")}>
            <CsrfField token={csrfToken} />
            <button type="submit" class="secondary">
              {t("webhooks:show.rotate")}
            </button>
          </form>
          <form method="post" action={`${base}/${webhook.active ? "disable" : "enable"}`}>
            <CsrfField token={csrfToken} />
            <button type="submit" class="secondary">
              {webhook.active ? t("webhooks:show.disable") : t("webhooks:show.enable")}
            </button>
          </form>
          <form method="post" action={`${base}/delete`} data-confirm={tText("webhooks:show.deleteConfirm")}>
            <CsrfField token={csrfToken} />
            <button type="submit" class="danger">
              {t("common:actions.delete")}
            </button>
          </form>
        </div>
      </div>
      <form method="post" action={`${base}/recover`} class="card settings-card" id="recover-form">
        <h2>{t("webhooks:show.recoverTitle")}</h2>
        <CsrfField token={csrfToken} />
        <div class={recoverError ? "field has-error" : "field"}>
          <label for="f-since">{t("webhooks:show.recoverSince", { zone: currentTimeZone() })}</label>
          <input
            id="f-since"
            name="since"
            type="datetime-local"
            value={recoverSince ?? defaultSince}
            required
            aria-invalid={recoverError ? "true" : undefined}
          />
          {recoverError ? (
            <small class="error" safe>
              {recoverError}
            </small>
          ) : (
            ""
          )}
        </div>
        <button type="submit" class="secondary" disabled={!webhook.active}>
          {t("webhooks:show.recover")}
        </button>
      </form>
      <DeliveryLog webhook={webhook} deliveries={deliveries} nextCursor={nextCursor} filters={filters} cursor={cursor} />
    </AdminLayout>
  );
}
