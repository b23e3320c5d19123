import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import type { Instance } from "@/db/schema";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, Time } from "../components/ui";
import { ConnectionPanel, type QrView } from "./_connection";
import { PairingForm, ProxyForm, RenameForm, SimulatorForm, TestMessageForm, type FormState } from "./_forms";
import { StatusBadge } from "./_status";

export type InstancePageState = {
  qr?: QrView;
  connectionError?: string;
  rename?: FormState;
  pairing?: FormState & { code?: string };
  test?: FormState;
  simulate?: FormState;
  proxy?: FormState;
};

type Props = { admin: AdminContext; csrfToken: string; flash?: Flash; instance: Instance; canManage: boolean; state?: InstancePageState };

export function InstancePage({ admin, csrfToken, flash, instance, canManage, state = {} }: Props) {
  const base = `/instances/${instance.id}`;
  return (
    <AdminLayout title={instance.name} admin={admin} csrfToken={csrfToken} active="instances" flash={flash}>
      <p class="small">
        <a href="/instances">{t("instances:show.back")}</a>
      </p>
      <div class="row">
        <h1 style="margin:0" safe>
          {instance.name}
        </h1>
        <StatusBadge status={instance.status} />
      </div>
      <p class="muted small">
        {t("instances:show.provider", { provider: instance.provider })} <code safe>{instance.id}</code> · {t("instances:show.created")}{" "}
        <Time at={instance.createdAt} />
      </p>
      <ConnectionPanel instance={instance} csrfToken={csrfToken} qr={state.qr} base={base} canManage={canManage} error={state.connectionError} />
      {canManage ? (
        <div class="grid">
          {instance.status !== "connected" ? <PairingForm base={base} csrfToken={csrfToken} state={state.pairing} code={state.pairing?.code} /> : ""}
          <TestMessageForm base={base} csrfToken={csrfToken} state={state.test} />
          {instance.provider === "sandbox" ? <SimulatorForm base={base} csrfToken={csrfToken} state={state.simulate} /> : ""}
          <RenameForm instance={instance} csrfToken={csrfToken} state={state.rename} />
          {instance.provider !== "cloud" ? <ProxyForm instance={instance} csrfToken={csrfToken} state={state.proxy} /> : ""}
        </div>
      ) : (
        <p class="muted">{t("instances:show.viewOnly")}</p>
      )}
      {canManage ? (
        <section class="card">
          <h2>{t("instances:show.dangerZone")}</h2>
          <form method="post" action={`${base}/delete`} hx-post={`${base}/delete`} hx-confirm={tText("instances:show.deleteConfirm", { name: instance.name })}>
            <CsrfField token={csrfToken} />
            <button type="submit" class="danger">
              {t("instances:show.delete")}
            </button>
          </form>
        </section>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
