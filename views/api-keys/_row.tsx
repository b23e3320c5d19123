import type { ApiKeyListItem } from "@/features/api-keys/api-key.service";
import { formatNumber, t, tText } from "@/lib/i18n";
import { Badge, Time } from "../components/ui";

const STATUS_TONE = { active: "ok", expired: "warn", revoked: "bad" } as const;
const STATUS_LABEL = { active: "api-keys:status.active", expired: "api-keys:status.expired", revoked: "api-keys:status.revoked" } as const;

/** One key in the list; revoking swaps this row for its revoked version. */
export function ApiKeyRow({ apiKey: k }: { apiKey: ApiKeyListItem }) {
  return (
    <tr id={`api-key-${k.id}`}>
      <td data-label={tText("api-keys:table.name")}>
        <strong safe>{k.name}</strong>
        <br />
        <code class="small" safe>{`${k.displayPrefix}…`}</code>
      </td>
      <td data-label={tText("api-keys:table.scopes")} class="scope-list">
        {k.scopes.map((s) => (
          <code class="small scope" safe>
            {s}
          </code>
        ))}
      </td>
      <td class="small" data-label={tText("api-keys:table.bindings")}>
        {k.instanceId ? (
          <div>{t("api-keys:row.instance", { name: k.instanceName ?? tText("api-keys:row.deletedInstance") })}</div>
        ) : (
          <div class="muted">{t("api-keys:row.allInstances")}</div>
        )}
        {k.deviceId ? <div>{t("api-keys:row.device", { name: k.deviceName ?? tText("api-keys:row.unknownDevice") })}</div> : ""}
        {k.requestsPerMinute ? <div class="muted">{t("api-keys:row.requestsPerMinute", { count: formatNumber(k.requestsPerMinute) })}</div> : ""}
        {k.maxMessagesPerDay ? <div class="muted">{t("api-keys:row.messagesPerDay", { count: formatNumber(k.maxMessagesPerDay) })}</div> : ""}
      </td>
      <td class="small" data-label={tText("api-keys:table.activity")}>
        <div>
          <span class="muted">{t("api-keys:row.lastUsed")}</span> <Time at={k.lastUsedAt} />
        </div>
        <div>
          <span class="muted">{t("api-keys:row.expires")}</span>{" "}
          {k.expiresAt ? <Time at={k.expiresAt} /> : <span class="muted">{t("api-keys:row.never")}</span>}
        </div>
      </td>
      <td data-label={tText("api-keys:table.status")}>
        <Badge tone={STATUS_TONE[k.status]}>{t(STATUS_LABEL[k.status])}</Badge>
      </td>
      <td>
        {k.status === "revoked" ? (
          ""
        ) : (
          <form
            method="post"
            action={`/api-keys/${k.id}/revoke`}
            hx-post={`/api-keys/${k.id}/revoke`}
            hx-target={`#api-key-${k.id}`}
            hx-swap="outerHTML"
            hx-confirm={tText("api-keys:row.revokeConfirm", { name: k.name })}
          >
            <button type="submit" class="danger">
              {t("api-keys:row.revoke")}
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
