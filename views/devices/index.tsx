import type { AdminContext } from "@/auth/plugin";
import type { DeviceListItem } from "@/features/devices/device.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { AdminLayout } from "../layouts/admin";
import { EmptyState } from "../components/ui";
import { CreatedKey, type CreatedSecret } from "../api-keys/index";
import { DeviceForm, type DeviceFormValues } from "./_form";
import { DeviceRow } from "./_row";

export function DeviceTable({ devices }: { devices: DeviceListItem[] }) {
  if (devices.length === 0) return <EmptyState>No devices yet. Register servers, phones or POS terminals that call the API.</EmptyState>;
  return (
    <div class="table-wrap">
      <table id="device-table" class="stack-table">
        <thead>
          <tr>
            <th>Device</th>
            <th>Last seen</th>
            <th>IP / user agent</th>
            <th>Keys</th>
            <th>Status</th>
            <th>
              <span class="sr-only">Actions</span>
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
      {created ? <CreatedKey created={created} title="Device registered" /> : ""}
      <DeviceForm csrfToken={csrfToken} values={values} errors={errors} />
      <h2>Devices</h2>
      <DeviceTable devices={devices} />
    </div>
  );
}

export function DevicesPage(props: ContentProps & { admin: AdminContext; flash?: Flash }) {
  return (
    <AdminLayout title="Devices" admin={props.admin} csrfToken={props.csrfToken} active="devices" flash={props.flash}>
      <h1>Devices</h1>
      <p class="muted">Revoking a device revokes every API key bound to it, on every server within a second.</p>
      <DevicesContent {...props} />
    </AdminLayout>
  );
}
