import type { Event } from "@/features/events/event.service";
import { t } from "@/lib/i18n";
import { Badge, Time } from "../components/ui";

/** Tone of an event type's badge: failures red, connection changes amber, the rest neutral/green. */
export function eventTone(type: string): "ok" | "warn" | "bad" | "muted" {
  if (/failed|disabled|logged_out/.test(type)) return "bad";
  if (/disconnected|qr/.test(type)) return "warn";
  if (/received|sent|delivered|read|connected|created|reply/.test(type)) return "ok";
  return "muted";
}

/** A one-line preview of the payload data; the detail page shows it whole. */
export function dataPreview(data: Record<string, unknown>, max = 140): string {
  const text = JSON.stringify(data);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One row of the event log; also the fragment the live tail pushes. */
export function EventRow({ event, instanceName }: { event: Event; instanceName?: string | null }) {
  const instanceLabel: string = event.instanceId ? (instanceName ?? event.instanceId.slice(0, 8)) : "—";
  return (
    <tr id={`event-${event.id}`} class="event-row">
      <td class="nowrap">
        <Time at={event.at} />
      </td>
      <td>
        <Badge tone={eventTone(event.type)}>
          <span safe>{event.type}</span>
        </Badge>
      </td>
      <td class="muted" safe>
        {instanceLabel}
      </td>
      <td class="event-data">
        <code safe>{dataPreview(event.data)}</code>
      </td>
      <td>
        <a href={`/events/${event.id}`}>{t("events:list.view")}</a>
      </td>
    </tr>
  );
}
