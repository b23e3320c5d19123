import type { AdminContext } from "@/auth/plugin";
import type { Attempt, Delivery } from "@/features/webhooks/delivery.service";
import type { Webhook } from "@/features/webhooks/webhook.service";
import type { Flash } from "@/lib/flash";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Time } from "../components/ui";
import { DeliveryStatus } from "./show";

function prettyBody(body: string | null): string {
  if (!body) return "";
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function headerText(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

function AttemptCard({ attempt }: { attempt: Attempt }) {
  const ok = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300 && !attempt.error;
  return (
    <article class="card attempt" id={`attempt-${attempt.id}`}>
      <div class="row">
        <strong safe>{`Attempt ${attempt.attempt}`}</strong>
        <Badge tone={ok ? "ok" : "bad"}>{attempt.statusCode ? `HTTP ${attempt.statusCode}` : "no response"}</Badge>
        <span class="small muted">{attempt.durationMs !== null ? `${attempt.durationMs} ms` : ""}</span>
        <span class="spacer" />
        <Time at={attempt.at} />
      </div>
      {attempt.error ? (
        <p class="error small" safe>
          {attempt.error}
        </p>
      ) : (
        ""
      )}
      <details>
        <summary>Request headers</summary>
        <pre safe>{headerText(attempt.requestHeaders)}</pre>
      </details>
      <details>
        <summary>Request body</summary>
        <pre safe>{prettyBody(attempt.requestBody)}</pre>
      </details>
      <details open={!ok}>
        <summary>Response (first 1 KB)</summary>
        <pre safe>{attempt.responseExcerpt ?? "(empty)"}</pre>
      </details>
    </article>
  );
}

export function DeliveryPage({
  admin,
  csrfToken,
  flash,
  webhook,
  delivery,
  attempts,
}: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  webhook: Webhook;
  delivery: Delivery;
  attempts: Attempt[];
}) {
  const base = `/webhooks/${webhook.id}`;
  return (
    <AdminLayout title={`Delivery ${delivery.eventType}`} admin={admin} csrfToken={csrfToken} active="webhooks" flash={flash}>
      <p class="small">
        <a href={base} safe>{`← ${webhook.name || webhook.url}`}</a>
      </p>
      <div class="row">
        <h1 safe>{delivery.eventType}</h1>
        <DeliveryStatus status={delivery.status} />
      </div>
      <div class="card">
        <dl class="kv">
          <dt>webhook-id (event)</dt>
          <dd>
            <code safe>{delivery.eventId}</code>
          </dd>
          <dt>Attempts</dt>
          <dd safe>{String(delivery.attempts)}</dd>
          <dt>Created</dt>
          <dd>
            <Time at={delivery.createdAt} />
          </dd>
          {delivery.deliveredAt ? (
            <>
              <dt>Delivered</dt>
              <dd>
                <Time at={delivery.deliveredAt} />
              </dd>
            </>
          ) : (
            ""
          )}
          {delivery.status === "failed" || delivery.status === "pending" ? (
            <>
              <dt>Next attempt</dt>
              <dd>
                <Time at={delivery.nextAttemptAt} />
              </dd>
            </>
          ) : (
            ""
          )}
        </dl>
        <form method="post" action={`${base}/deliveries/${delivery.id}/retry`}>
          <CsrfField token={csrfToken} />
          <button type="submit" disabled={!webhook.active}>
            Retry now
          </button>
          {!webhook.active ? <small class="muted"> Enable the endpoint to retry.</small> : ""}
        </form>
      </div>
      <h2>Attempts</h2>
      {attempts.length === 0 ? <EmptyState>Not attempted yet.</EmptyState> : attempts.map((a) => <AttemptCard attempt={a} />)}
    </AdminLayout>
  );
}
