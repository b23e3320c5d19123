import type { InstanceStatus } from "@/providers/provider";
import { t } from "@/lib/i18n";
import { Badge } from "../components/ui";

const TONE: Record<InstanceStatus, "ok" | "warn" | "bad" | "muted"> = {
  connected: "ok",
  qr: "warn",
  connecting: "warn",
  disconnected: "muted",
  logged_out: "bad",
};

/** The status badge used in lists and on the instance page. */
export function StatusBadge({ status }: { status: InstanceStatus }) {
  return (
    <Badge tone={TONE[status]}>
      <span data-status={status}>{t(`instances:status.${status}`)}</span>
    </Badge>
  );
}

/** Statuses in which the page keeps polling until the phone pairs. */
export const isPairing = (status: InstanceStatus) => status === "qr" || status === "connecting";
