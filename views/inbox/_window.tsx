import { t } from "@/lib/i18n";
import { Badge } from "../components/ui";

/**
 * The Cloud API's 24-hour customer service window of a conversation: the time left while open, or
 * that only approved templates go out once closed. Loaded into the header and refreshed each minute.
 */
export function CustomerWindowBadge({ open, remaining }: { open: boolean; remaining: string }) {
  return (
    <span class="customer-window" data-window={open ? "open" : "closed"}>
      {open ? <Badge tone="ok">{t("templates:cloud.windowOpen", { remaining })}</Badge> : <Badge tone="warn">{t("templates:cloud.windowClosed")}</Badge>}
    </span>
  );
}
