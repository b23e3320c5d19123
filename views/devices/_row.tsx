import type { DeviceListItem } from "@/features/devices/device.service";
import type { DEVICE_KINDS } from "@/db/schema";
import { formatNumber, t, tText } from "@/lib/i18n";
import { Badge, Time } from "../components/ui";

const KIND_LABEL = { browser: "devices:kinds.browser", server: "devices:kinds.server", mobile: "devices:kinds.mobile", pos: "devices:kinds.pos" } as const;

export function deviceKindLabel(kind: (typeof DEVICE_KINDS)[number]): string {
  return tText(KIND_LABEL[kind]);
}

/** One device in the list; revoking swaps this row for its revoked version. */
export function DeviceRow({ device: d }: { device: DeviceListItem }) {
  const ua = d.userAgent ?? "";
  const shortUa = ua.length > 80 ? `${ua.slice(0, 80)}…` : ua;
  return (
    <tr id={`device-${d.id}`}>
      <td data-label={tText("devices:table.device")}>
        <strong safe>{d.name}</strong>
        <br />
        <span class="muted small" safe>
          {deviceKindLabel(d.kind)}
        </span>
      </td>
      <td class="small" data-label={tText("devices:table.lastSeen")}>
        <Time at={d.lastSeenAt} />
      </td>
      <td class="small" data-label={tText("devices:table.ipUserAgent")}>
        <div safe>{d.ip ?? "—"}</div>
        <div class="muted ua" title={ua || undefined} safe>
          {shortUa}
        </div>
      </td>
      <td class="small" data-label={tText("devices:table.activeKeys")} safe>
        {formatNumber(d.activeKeys)}
      </td>
      <td data-label={tText("devices:table.status")}>
        {d.revokedAt ? <Badge tone="bad">{t("devices:status.revoked")}</Badge> : <Badge tone="ok">{t("devices:status.active")}</Badge>}
      </td>
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
            hx-confirm={tText("devices:row.revokeConfirm", { name: d.name, count: d.activeKeys })}
          >
            <button type="submit" class="danger">
              {t("devices:row.revoke")}
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
