import type { AdminContext } from "@/auth/plugin";
import type { Attempt, Delivery } from "@/features/webhooks/delivery.log";
import { deliveryErrorText } from "@/features/webhooks/webhook.schema";
import type { Webhook } from "@/features/webhooks/webhook.service";
import type { Flash } from "@/lib/flash";
import { formatNumber, t, tText } from "@/lib/i18n";
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
        <strong>{t("webhooks:delivery.attempt", { number: attempt.attempt })}</strong>
        <Badge tone={ok ? "ok" : "bad"}>{attempt.statusCode ? `HTTP ${attempt.statusCode}` : t("webhooks:delivery.noResponse")}</Badge>
        <span class="small muted">{attempt.durationMs !== null ? t("webhooks:delivery.duration", { ms: formatNumber(attempt.durationMs) }) : ""}</span>
        <span class="spacer" />
        <Time at={attempt.at} />
      </div>
      {attempt.error ? (
        <p class="error small" safe>
          {deliveryErrorText(attempt.error)}
        </p>
      ) : (
        ""
      )}
      <details>
        <summary>{t("webhooks:delivery.requestHeaders")}</summary>
        <pre safe>{headerText(attempt.requestHeaders)}</pre>
      </details>
      <details>
        <summary>{t("webhooks:delivery.requestBody")}</summary>
        <pre safe>{prettyBody(attempt.requestBody)}</pre>
      </details>
      <details open={!ok}>
        <summary>{t("webhooks:delivery.response")}</summary>
        <pre safe>{attempt.responseExcerpt ?? tText("webhooks:delivery.empty")}</pre>
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
    <AdminLayout title={tText("webhooks:delivery.title", { type: delivery.eventType })} admin={admin} csrfToken={csrfToken} active="webhooks" flash={flash}>
      <p class="small">
        <a href={base} safe>{`← ${webhook.name || webhook.url}`}</a>
      </p>
      <div class="row">
        <h1 safe>{delivery.eventType}</h1>
        <DeliveryStatus status={delivery.status} />
      </div>
      <div class="card">
        <dl class="kv">
          <dt>{t("webhooks:delivery.webhookId")}</dt>
          <dd>
            <code safe>{delivery.eventId}</code>
          </dd>
          <dt>{t("webhooks:delivery.attempts")}</dt>
          <dd safe>{formatNumber(delivery.attempts)}</dd>
          <dt>{t("webhooks:delivery.created")}</dt>
          <dd>
            <Time at={delivery.createdAt} />
          </dd>
          {delivery.deliveredAt ? (
            <>
              <dt>{t("webhooks:delivery.delivered")}</dt>
              <dd>
                <Time at={delivery.deliveredAt} />
              </dd>
            </>
          ) : (
            ""
          )}
          {delivery.status === "failed" || delivery.status === "pending" ? (
            <>
              <dt>{t("webhooks:delivery.nextAttempt")}</dt>
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
            {t("webhooks:delivery.retryNow")}
          </button>
          {!webhook.active ? <small class="muted"> {t("webhooks:delivery.enableToRetry")}</small> : ""}
        </form>
      </div>
      <h2>{t("webhooks:delivery.attemptsHeading")}</h2>
      {attempts.length === 0 ? <EmptyState>{t("webhooks:delivery.notAttempted")}</EmptyState> : attempts.map((a) => <AttemptCard attempt={a} />)}
    </AdminLayout>
  );
}
