import type { AdminContext } from "@/auth/plugin";
import type { DeviceListItem } from "@/features/devices/device.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { EmptyState } from "../components/ui";
import { CreatedKey, type CreatedSecret } from "../api-keys/index";
import { DeviceForm, type DeviceFormValues } from "./_form";
import { DeviceRow } from "./_row";

export function DeviceTable({ devices }: { devices: DeviceListItem[] }) {
  if (devices.length === 0) return <EmptyState>{t("devices:page.empty")}</EmptyState>;
  return (
    <div class="table-wrap">
      <table id="device-table" class="stack-table">
        <thead>
          <tr>
            <th>{t("devices:table.device")}</th>
            <th>{t("devices:table.lastSeen")}</th>
            <th>{t("devices:table.ipUserAgent")}</th>
            <th>{t("devices:table.keys")}</th>
            <th>{t("devices:table.status")}</th>
            <th>
              <span class="sr-only">{t("devices:table.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <DeviceRow device={d} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

type ContentProps = {
  csrfToken: string;
  devices: DeviceListItem[];
  values?: DeviceFormValues;
  errors?: FieldError[];
  created?: CreatedSecret;
};

/** Everything below the title; the register form swaps this whole region. */
export function DevicesContent({ csrfToken, devices, values, errors, created }: ContentProps) {
  return (
    <div id="devices">
      {created ? <CreatedKey created={created} title={tText("devices:page.registered")} /> : ""}
      <DeviceForm csrfToken={csrfToken} values={values} errors={errors} />
      <h2>{t("devices:page.title")}</h2>
      <DeviceTable devices={devices} />
    </div>
  );
}

export function DevicesPage(props: ContentProps & { admin: AdminContext; flash?: Flash }) {
  return (
    <AdminLayout title={tText("devices:page.title")} admin={props.admin} csrfToken={props.csrfToken} active="devices" flash={props.flash}>
      <h1>{t("devices:page.title")}</h1>
      <p class="muted">{t("devices:page.intro")}</p>
      <DevicesContent {...props} />
    </AdminLayout>
  );
}
