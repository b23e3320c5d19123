import type { InstanceStatus } from "@/providers/provider";
import { Badge } from "../components/ui";

const TONE: Record<InstanceStatus, "ok" | "warn" | "bad" | "muted"> = {
  connected: "ok",
  qr: "warn",
  connecting: "warn",
  disconnected: "muted",
  logged_out: "bad",
};

const LABEL: Record<InstanceStatus, string> = {
  connected: "Connected",
  qr: "Waiting for scan",
  connecting: "Connecting",
  disconnected: "Disconnected",
  logged_out: "Logged out",
};

/** The status badge used in lists and on the instance page. */
export function StatusBadge({ status }: { status: InstanceStatus }) {
  return (
    <Badge tone={TONE[status]}>
      <span data-status={status} safe>
        {LABEL[status]}
      </span>
    </Badge>
  );
}

/** Statuses in which the page keeps polling until the phone pairs. */
export const isPairing = (status: InstanceStatus) => status === "qr" || status === "connecting";
