import type { ApiKeyListItem } from "@/features/api-keys/api-key.service";
import { Badge, Time } from "../components/ui";

const STATUS_TONE = { active: "ok", expired: "warn", revoked: "bad" } as const;

/** One key in the list; revoking swaps this row for its revoked version. */
export function ApiKeyRow({ apiKey: k }: { apiKey: ApiKeyListItem }) {
  return (
    <tr id={`api-key-${k.id}`}>
      <td data-label="Name">
        <strong safe>{k.name}</strong>
        <br />
        <code class="small" safe>{`${k.displayPrefix}…`}</code>
      </td>
      <td data-label="Scopes" class="scope-list">
        {k.scopes.map((s) => (
          <code class="small scope" safe>
            {s}
          </code>
        ))}
      </td>
      <td class="small" data-label="Bindings">
        {k.instanceId ? <div safe>{`Instance: ${k.instanceName ?? "(deleted)"}`}</div> : <div class="muted">All instances</div>}
        {k.deviceId ? <div safe>{`Device: ${k.deviceName ?? "(unknown)"}`}</div> : ""}
        {k.requestsPerMinute ? <div class="muted" safe>{`${k.requestsPerMinute} req/min`}</div> : ""}
        {k.maxMessagesPerDay ? <div class="muted" safe>{`${k.maxMessagesPerDay} msgs/day`}</div> : ""}
      </td>
      <td class="small" data-label="Activity">
        <div>
          <span class="muted">Last used </span>
          <Time at={k.lastUsedAt} />
        </div>
        <div>
          <span class="muted">Expires </span>
          {k.expiresAt ? <Time at={k.expiresAt} /> : <span class="muted">never</span>}
        </div>
      </td>
      <td data-label="Status">
        <Badge tone={STATUS_TONE[k.status]}>{k.status}</Badge>
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
            hx-confirm={`Revoke "${k.name}"? Anything using it stops working within a second.`}
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
