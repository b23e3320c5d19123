import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Event } from "@/features/events/event.service";
import { EVENT_TYPES } from "@/features/events/event.schema";
import { EmptyState, fieldError } from "../components/ui";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { EventRow } from "./_row";

export type EventFilterValues = { type?: string; instanceId?: string; from?: string; to?: string; before?: string };

type Props = {
  admin: AdminContext;
  csrfToken: string;
  events: Event[];
  nextCursor: string | null;
  values: EventFilterValues;
  errors?: FieldError[];
  instances: { id: string; name: string }[];
  /** When the page's reads began (ms): its live tail catches up on rows recorded since. */
  renderedAt: number;
};

function query(values: EventFilterValues, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const key of ["type", "instanceId", "from", "to"] as const) if (values[key]) q.set(key, values[key]!);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

function Select({
  label,
  name,
  value,
  options,
  errors,
  any,
}: {
  label: string;
  name: string;
  value?: string;
  options: { value: string; label: string }[];
  errors?: FieldError[];
  any: string;
}) {
  const error = fieldError(errors, name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${name}`} safe>
        {label}
      </label>
      <select id={`f-${name}`} name={name}>
        <option value="" safe>
          {any}
        </option>
        {options.map((o) => (
          <option value={o.value} selected={o.value === value} safe>
            {o.label}
          </option>
        ))}
      </select>
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

function DateField({ label, name, value, errors }: { label: string; name: string; value?: string; errors?: FieldError[] }) {
  const error = fieldError(errors, name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${name}`} safe>
        {label}
      </label>
      <input id={`f-${name}`} name={name} type="date" value={value} aria-invalid={error ? "true" : undefined} />
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

/** The event log: filters, newest-first table with cursor pages, and a live tail over SSE. */
export function EventsPage({ admin, csrfToken, events, nextCursor, values, errors, instances, renderedAt }: Props) {
  const names = new Map(instances.map((i) => [i.id, i.name]));
  const streamUrl = `/events/stream?${query(values, { since: String(renderedAt) })}`;
  const browsingOlder = Boolean(values.before);
  return (
    <AdminLayout title={tText("events:list.title")} admin={admin} csrfToken={csrfToken} active="events">
      <link rel="stylesheet" href="/static/events.css" />
      <script src="/static/events.js" defer></script>
      <div class="row page-head">
        <h1>{t("events:list.title")}</h1>
        <span class="spacer" />
        <label class="live-toggle" title={tText("events:list.liveTailTitle")}>
          <input type="checkbox" id="live-tail" data-stream={streamUrl} checked={!browsingOlder} disabled={browsingOlder} />
          <span>{t("events:list.liveTail")}</span>
          <span
            id="live-status"
            class="badge badge-muted"
            aria-live="polite"
            data-connecting={tText("events:list.connecting")}
            data-live={tText("events:list.live")}
            data-reconnecting={tText("events:list.reconnecting")}
            data-paused={tText("events:list.paused")}
          >
            {browsingOlder ? t("events:list.paused") : t("events:list.connecting")}
          </span>
        </label>
      </div>
      <form method="get" action="/events" class="card event-filters">
        <Select
          label={tText("events:list.type")}
          name="type"
          value={values.type}
          options={EVENT_TYPES.map((type) => ({ value: type, label: type }))}
          errors={errors}
          any={tText("events:list.allTypes")}
        />
        <Select
          label={tText("events:list.instance")}
          name="instanceId"
          value={values.instanceId}
          options={instances.map((i) => ({ value: i.id, label: i.name }))}
          errors={errors}
          any={tText("events:list.allInstances")}
        />
        <DateField label={tText("events:list.from")} name="from" value={values.from} errors={errors} />
        <DateField label={tText("events:list.to")} name="to" value={values.to} errors={errors} />
        <div class="row filter-actions">
          <button type="submit">{t("events:list.filter")}</button>
          <a href="/events">{t("events:list.clear")}</a>
        </div>
      </form>
      {errors?.length ? <EmptyState>{t("events:list.fixFilters")}</EmptyState> : ""}
      <div class="table-wrap">
        <table class="event-table">
          <thead>
            <tr>
              <th>{t("events:list.when")}</th>
              <th>{t("events:list.type")}</th>
              <th>{t("events:list.instance")}</th>
              <th>{t("events:list.data")}</th>
              <th>
                <span class="sr-only">{t("events:list.detail")}</span>
              </th>
            </tr>
          </thead>
          <tbody id="event-rows">
            {events.map((e) => (
              <EventRow event={e} instanceName={e.instanceId ? names.get(e.instanceId) : null} />
            ))}
          </tbody>
        </table>
      </div>
      {events.length === 0 && !errors?.length ? (
        <EmptyState>
          <span id="events-empty">{browsingOlder ? t("events:list.noOlder") : t("events:list.empty")}</span>
        </EmptyState>
      ) : (
        ""
      )}
      <nav class="row pager" aria-label={tText("events:list.pages")}>
        {browsingOlder ? <a href={`/events?${query(values)}`}>{t("events:list.newest")}</a> : ""}
        {nextCursor ? <a href={`/events?${query(values, { before: nextCursor })}`}>{t("events:list.older")}</a> : ""}
      </nav>
    </AdminLayout>
  );
}
