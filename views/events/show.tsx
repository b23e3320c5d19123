import type { AdminContext } from "@/auth/plugin";
import type { Event, EventDelivery } from "@/features/events/event.service";
import { eventPayload } from "@/features/events/event.service";
import { Badge, EmptyState, Time } from "../components/ui";
import { AdminLayout } from "../layouts/admin";
import { eventTone } from "./_row";

type Props = {
  admin: AdminContext;
  csrfToken: string;
  event: Event;
  instanceName: string | null;
  /** Null when the viewer may not see webhooks. */
  deliveries: EventDelivery[] | null;
};

const deliveryTone = (status: string) => (status === "succeeded" ? "ok" : status === "pending" ? "muted" : status === "failed" ? "warn" : "bad");

/** One event: its metadata, the exact payload subscribers receive, and where it was delivered. */
export function EventShowPage({ admin, csrfToken, event, instanceName, deliveries }: Props) {
  const instanceLabel: string = event.instanceId ? `${instanceName ?? "(deleted)"} · ${event.instanceId}` : "—";
  return (
    <AdminLayout title={`Event ${event.type}`} admin={admin} csrfToken={csrfToken} active="events">
      <link rel="stylesheet" href="/static/events.css" />
      <p>
        <a href="/events">← Events</a>
      </p>
      <h1>
        <Badge tone={eventTone(event.type)}>
          <span safe>{event.type}</span>
        </Badge>
      </h1>
      <dl class="card event-meta">
        <dt>Id</dt>
        <dd>
          <code safe>{event.id}</code>
        </dd>
        <dt>At</dt>
        <dd>
          <Time at={event.at} /> <span class="muted small" safe>{event.at.toISOString()}</span>
        </dd>
        <dt>Instance</dt>
        <dd safe>{instanceLabel}</dd>
        <dt>API key</dt>
        <dd safe>{event.apiKeyId ?? "—"}</dd>
        <dt>Device</dt>
        <dd safe>{event.deviceId ?? "—"}</dd>
      </dl>
      <h2>Payload</h2>
      <pre class="event-json" safe>
        {JSON.stringify(eventPayload(event), null, 2)}
      </pre>
      {deliveries === null ? (
        ""
      ) : (
        <>
          <h2>Webhook deliveries</h2>
          {deliveries.length === 0 ? (
            <EmptyState>No webhook subscribed to this event when it happened.</EmptyState>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Webhook</th>
                    <th>Status</th>
                    <th>Attempts</th>
                    <th>Last response</th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => (
                    <tr>
                      <td>
                        <a href={`/webhooks/${d.webhookId}`} safe>
                          {d.webhookName || d.webhookUrl}
                        </a>
                      </td>
                      <td>
                        <Badge tone={deliveryTone(d.status)}>
                          <span safe>{d.status}</span>
                        </Badge>
                      </td>
                      <td safe>{String(d.attempts)}</td>
                      <td class="small" safe>
                        {d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? "—")}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </AdminLayout>
  );
}
