import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import type { Instance } from "@/providers/provider";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, Time } from "../components/ui";
import { CreateInstanceForm, type FormState } from "./_forms";
import { StatusBadge } from "./_status";

const PROVIDER_LABEL: Record<Instance["provider"], string> = { sandbox: "Sandbox", wuzapi: "WuzAPI", cloud: "Cloud API" };

const phoneOf = (jid: string | null): string => (jid ? `+${jid.split("@")[0]}` : "—");

export function InstanceTable({ instances }: { instances: Instance[] }) {
  if (instances.length === 0) return <EmptyState>No instances yet. Create one to connect a WhatsApp number.</EmptyState>;
  return (
    <div class="table-wrap">
      <table id="instance-table" class="stack-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Number</th>
            <th>Provider</th>
            <th>Last activity</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((i) => (
            <tr id={`instance-${i.id}`}>
              <td data-label="">
                <a href={`/instances/${i.id}`} safe>
                  {i.name}
                </a>
              </td>
              <td data-label="Status">
                <StatusBadge status={i.status} />
              </td>
              <td data-label="Number" safe>
                {phoneOf(i.waJid)}
              </td>
              <td data-label="Provider" safe>
                {PROVIDER_LABEL[i.provider]}
              </td>
              <td data-label="Last activity">
                <Time at={i.lastActivityAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Props = { admin: AdminContext; csrfToken: string; flash?: Flash; instances: Instance[]; canManage: boolean; form?: FormState; maxInstances: number };

export function InstancesPage({ admin, csrfToken, flash, instances, canManage, form, maxInstances }: Props) {
  return (
    <AdminLayout title="Instances" admin={admin} csrfToken={csrfToken} active="instances" flash={flash}>
      <h1>Instances</h1>
      <p class="muted small" safe>
        {`${instances.length} of ${maxInstances} instances allowed by your plan.`}
      </p>
      <InstanceTable instances={instances} />
      {canManage ? <CreateInstanceForm csrfToken={csrfToken} state={form} /> : ""}
    </AdminLayout>
  );
}
