import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import { formatNumber, t, tText } from "@/lib/i18n";
import type { Instance } from "@/db/schema";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, Time } from "../components/ui";
import { CreateInstanceForm, type FormState } from "./_forms";
import { StatusBadge } from "./_status";

const PROVIDER_LABEL: Record<Instance["provider"], string> = { sandbox: "Sandbox", wuzapi: "WuzAPI", cloud: "Cloud API" };

const phoneOf = (jid: string | null): string => (jid ? `+${jid.split("@")[0]}` : "—");

export function InstanceTable({ instances }: { instances: Instance[] }) {
  if (instances.length === 0) return <EmptyState>{t("instances:empty")}</EmptyState>;
  return (
    <div class="table-wrap">
      <table id="instance-table" class="stack-table">
        <thead>
          <tr>
            <th>{t("instances:table.name")}</th>
            <th>{t("instances:table.status")}</th>
            <th>{t("instances:table.number")}</th>
            <th>{t("instances:table.provider")}</th>
            <th>{t("instances:table.lastActivity")}</th>
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
              <td data-label={tText("instances:table.status")}>
                <StatusBadge status={i.status} />
              </td>
              <td data-label={tText("instances:table.number")} safe>
                {phoneOf(i.waJid)}
              </td>
              <td data-label={tText("instances:table.provider")} safe>
                {PROVIDER_LABEL[i.provider]}
              </td>
              <td data-label={tText("instances:table.lastActivity")}>
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
    <AdminLayout title={tText("instances:title")} admin={admin} csrfToken={csrfToken} active="instances" flash={flash}>
      <h1>{t("instances:title")}</h1>
      <p class="muted small">{t("instances:allowed", { count: formatNumber(instances.length), max: formatNumber(maxInstances) })}</p>
      <InstanceTable instances={instances} />
      {canManage ? <CreateInstanceForm csrfToken={csrfToken} state={form} /> : ""}
    </AdminLayout>
  );
}
