import type { AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import type { Flash } from "@/lib/flash";
import type { DashboardStats } from "@/features/dashboard/dashboard.service";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, Time } from "../components/ui";

type Props = { admin: AdminContext; csrfToken: string; flash?: Flash; stats: DashboardStats };

const fmt = (n: number) => n.toLocaleString("en-US");

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
          Details
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
        {can.manageInstances(admin.role) ? <a href="/instances">Create your first instance</a> : <span>Ask a supervisor to create an instance</span>} — a WhatsApp number (start with the built-in sandbox, no phone needed).
      </li>,
    );
  } else if (stats.instances.connected === 0) {
    steps.push(
      <li>
        <a href="/instances">Connect an instance</a> — scan its QR code so it can send and receive messages.
      </li>,
    );
  }
  if (stats.activeApiKeys === 0) {
    steps.push(
      <li>
        {can.manageKeys(admin.role) ? <a href="/api-keys">Create an API key</a> : <span>Ask an admin for an API key</span>} — to send messages from your own code with <code>POST /v1/messages</code>.
      </li>,
    );
  }
  if (stats.activeWebhooks === 0) {
    steps.push(
      <li>
        {can.manageWebhooks(admin.role) ? <a href="/webhooks">Add a webhook</a> : <span>Ask an admin to add a webhook</span>} — get every message and status pushed to your endpoint.
      </li>,
    );
  }
  if (steps.length === 0) return "";
  return (
    <section class="card getting-started">
      <h2>Get started</h2>
      <ol>{steps}</ol>
    </section>
  );
}

export function DashboardPage({ admin, csrfToken, flash, stats }: Props) {
  const { deliveries } = stats;
  const rate = deliveries.successRate === null ? "—" : `${(deliveries.successRate * 100).toFixed(deliveries.successRate === 1 ? 0 : 1)}%`;
  const rateSub =
    deliveries.successRate === null
      ? deliveries.pending > 0
        ? `${fmt(deliveries.pending)} pending`
        : "No deliveries in the last 24 h"
      : `${fmt(deliveries.succeeded)} ok · ${fmt(deliveries.failing)} failing · ${fmt(deliveries.pending)} pending`;
  return (
    <AdminLayout title="Dashboard" admin={admin} csrfToken={csrfToken} active="dashboard" flash={flash}>
      <h1 safe>{admin.organization.name}</h1>
      <GettingStarted admin={admin} stats={stats} />
      <div class="grid dash-stats">
        <Stat label="Instances connected" value={`${fmt(stats.instances.connected)} / ${fmt(stats.instances.total)}`} sub="connected / total" href="/instances" />
        <Stat label="Messages today" value={fmt(stats.today.messagesSent + stats.today.messagesReceived)} sub={`${fmt(stats.today.messagesSent)} sent · ${fmt(stats.today.messagesReceived)} received`} href="/usage" />
        <Stat label="API calls today" value={fmt(stats.today.apiCalls)} sub={`UTC day ${stats.today.day}`} href="/usage" />
        <Stat label="Webhook success (24 h)" value={rate} sub={rateSub} href={can.manageWebhooks(admin.role) ? "/webhooks" : undefined} />
        <Stat label="Members" value={fmt(stats.members)} href="/members" />
      </div>
      <section>
        <h2>Recent events</h2>
        {stats.recentEvents.length === 0 ? (
          <EmptyState>No events yet. They appear here when instances connect and messages come and go.</EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="stack-table">
              <thead>
                <tr>
                  <th>Event</th>
                  <th>Instance</th>
                  <th>When</th>
                </tr>
              </thead>
              <tbody>
                {stats.recentEvents.map((e) => (
                  <tr>
                    <td data-label="">
                      <code safe>{e.type}</code>
                    </td>
                    <td data-label="Instance">{e.instanceId ? <a href={`/instances/${e.instanceId}`} safe>{e.instanceName ?? "instance"}</a> : <span class="muted">—</span>}</td>
                    <td data-label="When">
                      <Time at={e.at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p>
          <a href="/events">All events</a>
        </p>
      </section>
    </AdminLayout>
  );
}
