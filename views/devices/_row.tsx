import type { DeviceListItem } from "@/features/devices/device.service";
import { Badge, Time } from "../components/ui";

/** One device in the list; revoking swaps this row for its revoked version. */
export function DeviceRow({ device: d }: { device: DeviceListItem }) {
  const ua = d.userAgent ?? "";
  const shortUa = ua.length > 80 ? `${ua.slice(0, 80)}…` : ua;
  return (
    <tr id={`device-${d.id}`}>
      <td data-label="Device">
        <strong safe>{d.name}</strong>
        <br />
        <span class="muted small">
          {d.kind}
        </span>
      </td>
      <td class="small" data-label="Last seen">
        <Time at={d.lastSeenAt} />
      </td>
      <td class="small" data-label="IP / user agent">
        <div safe>{d.ip ?? "—"}</div>
        <div class="muted ua" title={ua || undefined} safe>
          {shortUa}
        </div>
      </td>
      <td class="small" data-label="Active keys" safe>
        {String(d.activeKeys)}
      </td>
      <td data-label="Status">{d.revokedAt ? <Badge tone="bad">revoked</Badge> : <Badge tone="ok">active</Badge>}</td>
      <td>
        {d.revokedAt ? (
          ""
        ) : (
          <form
            method="post"
            action={`/devices/${d.id}/revoke`}
            hx-post={`/devices/${d.id}/revoke`}
            hx-target={`#device-${d.id}`}
            hx-swap="outerHTML"
            hx-confirm={`Revoke "${d.name}" and its ${d.activeKeys} API key(s)?`}
          >
            <button type="submit" class="danger">
              Revoke
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
