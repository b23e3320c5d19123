import type { AdminContext } from "@/auth/plugin";
import { DELIVERY_STATUSES } from "@/db/schema";
import { EVENT_TYPES } from "@/features/events/event.service";
import type { Delivery } from "@/features/webhooks/delivery.service";
import type { Webhook, WebhookStats } from "@/features/webhooks/webhook.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Time } from "../components/ui";
import { eventTypesLabel, SuccessRate, WebhookStatus } from "./index";

export function DeliveryStatus({ status }: { status: Delivery["status"] }) {
  const tone = status === "succeeded" ? "ok" : status === "pending" || status === "failed" ? "warn" : status === "exhausted" ? "bad" : "muted";
  return <Badge tone={tone}>{status}</Badge>;
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
  deliveries: Delivery[];
  nextCursor: string | null;
  filters: DeliveryFilters;
  cursor?: string;
}) {
  const poll = cursor ? {} : { "hx-get": `/webhooks/${webhook.id}/log${filterQuery(filters)}`, "hx-trigger": "every 5s", "hx-swap": "outerHTML", "hx-target": "this" };
  return (
    <div id="delivery-rows" {...poll}>
      {deliveries.length === 0 ? (
        <EmptyState>No deliveries match.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table id="delivery-table" class="stack-table">
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Last answer</th>
                <th>Created</th>
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
                  <td data-label="Status">
                    <DeliveryStatus status={d.status} />
                    {d.status === "failed" || d.status === "pending" ? (
                      <div class="small muted">
                        next <Time at={d.nextAttemptAt} />
                      </div>
                    ) : (
                      ""
                    )}
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td class="small" data-label="Last answer" safe>
                    {d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? "—")}
                  </td>
                  <td class="small" data-label="Created">
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
          <a href={`/webhooks/${webhook.id}${filterQuery(filters, nextCursor)}`}>Older deliveries →</a>
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
  deliveries: Delivery[];
  nextCursor: string | null;
  filters: DeliveryFilters;
  cursor?: string;
}) {
  return (
    <section id="delivery-log">
      <h2>Delivery log</h2>
      <form method="get" action={`/webhooks/${webhook.id}`} class="filters">
        <label class="sr-only" for="filter-status">
          Status
        </label>
        <select id="filter-status" name="status">
          <option value="">Any status</option>
          {DELIVERY_STATUSES.map((s) => (
            <option value={s} selected={filters.status === s}>
              {s}
            </option>
          ))}
        </select>
        <label class="sr-only" for="filter-type">
          Event type
        </label>
        <select id="filter-type" name="eventType">
          <option value="">Any event type</option>
          {EVENT_TYPES.map((t) => (
            <option value={t} selected={filters.eventType === t}>
              {t}
            </option>
          ))}
        </select>
        <div class="row filter-actions">
          <button type="submit" class="secondary">
            Filter
          </button>
          {filters.status || filters.eventType ? <a href={`/webhooks/${webhook.id}`}>Clear</a> : ""}
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
  deliveries: Delivery[];
  nextCursor: string | null;
  filters: DeliveryFilters;
  recoverErrors?: FieldError[];
  recoverSince?: string;
  cursor?: string;
}) {
  const recoverError = recoverErrors?.find((e) => e.path === "since" || e.path === "(body)")?.message;
  const base = `/webhooks/${webhook.id}`;
  const defaultSince = new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 16);
  return (
    <AdminLayout title={webhook.name || "Webhook"} admin={admin} csrfToken={csrfToken} active="webhooks" flash={flash}>
      <p class="small">
        <a href="/webhooks">← Webhooks</a>
      </p>
      <div class="row">
        <h1 safe>{webhook.name || webhook.url}</h1>
        <WebhookStatus webhook={webhook} />
      </div>
      <div class="card">
        <dl class="kv">
          <dt>URL</dt>
          <dd>
            <code safe>{webhook.url}</code>
          </dd>
          <dt>Events</dt>
          <dd safe>{eventTypesLabel(webhook.eventTypes)}</dd>
          <dt>Instances</dt>
          <dd>{webhook.instanceIds ? `${webhook.instanceIds.length} selected` : "all instances"}</dd>
          <dt>Success (24 h)</dt>
          <dd>
            <SuccessRate stats={stats} />
          </dd>
          {webhook.failingSince ? (
            <>
              <dt>Failing since</dt>
              <dd>
                <Time at={webhook.failingSince} />
              </dd>
            </>
          ) : (
            ""
          )}
          {!webhook.active ? (
            <>
              <dt>Disabled</dt>
              <dd>
                <Time at={webhook.disabledAt} /> <span safe>{webhook.disabledReason ?? ""}</span>
              </dd>
            </>
          ) : (
            ""
          )}
          {webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > new Date() ? (
            <>
              <dt>Previous secret</dt>
              <dd>
                still signs until <Time at={webhook.previousSecretExpiresAt} />
              </dd>
            </>
          ) : (
            ""
          )}
        </dl>
        <div class="row actions">
          <a class="button secondary" href={`${base}/edit`}>
            Edit
          </a>
          <form method="post" action={`${base}/test`}>
            <CsrfField token={csrfToken} />
            <button type="submit" class="secondary" disabled={!webhook.active}>
              Send test event
            </button>
          </form>
          <form method="post" action={`${base}/rotate`} data-confirm="Rotate the signing secret? The old one keeps signing for 24 hours.">
            <CsrfField token={csrfToken} />
            <button type="submit" class="secondary">
              Rotate secret
            </button>
          </form>
          <form method="post" action={`${base}/${webhook.active ? "disable" : "enable"}`}>
            <CsrfField token={csrfToken} />
            <button type="submit" class="secondary">
              {webhook.active ? "Disable" : "Enable"}
            </button>
          </form>
          <form method="post" action={`${base}/delete`} data-confirm="Delete this endpoint and its delivery log?">
            <CsrfField token={csrfToken} />
            <button type="submit" class="danger">
              Delete
            </button>
          </form>
        </div>
      </div>
      <form method="post" action={`${base}/recover`} class="card settings-card" id="recover-form">
        <h2>Recover failed deliveries</h2>
        <CsrfField token={csrfToken} />
        <div class={recoverError ? "field has-error" : "field"}>
          <label for="f-since">Re-send everything that failed since (UTC)</label>
          <input id="f-since" name="since" type="datetime-local" value={recoverSince ?? defaultSince} required aria-invalid={recoverError ? "true" : undefined} />
          {recoverError ? <small class="error" safe>{recoverError}</small> : ""}
        </div>
        <button type="submit" class="secondary" disabled={!webhook.active}>
          Recover
        </button>
      </form>
      <DeliveryLog webhook={webhook} deliveries={deliveries} nextCursor={nextCursor} filters={filters} cursor={cursor} />
    </AdminLayout>
  );
}
