import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { parseForm, unprocessable } from "@/lib/forms";
import { currentLocale, currentTimeZone, tText, withLocale, zonedWallTimeToDate, type RequestLocale } from "@/lib/i18n";
import { sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { EventsPage, type EventFilterValues } from "@views/events/index";
import { EventRow } from "@views/events/_row";
import { EventShowPage } from "@views/events/show";
import { EVENT_LIMITS, eventPageQuerySchema, type EventPageQuery } from "./event.schema";
import { eventInstanceOptions, eventMatches, getEvent, listEventDeliveries, listEvents, type EventFilter } from "./event.service";
import { isUuid } from "@/lib/ids";

const looseQuery = z.record(z.string(), z.unknown());

/** The page's inclusive days, on the reader's calendar (their time zone) → [from, until) on `at`. */
function filterOf(q: EventPageQuery): EventFilter {
  return {
    types: q.type ? [q.type] : undefined,
    instanceId: q.instanceId,
    from: q.from ? zonedWallTimeToDate(`${q.from}T00:00:00`) : undefined,
    until: q.to ? zonedWallTimeToDate(`${nextDay(q.to)}T00:00:00`) : undefined,
  };
}

/** `YYYY-MM-DD` of the day after `day` (calendar arithmetic, no zone involved). */
function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function valuesOf(raw: Record<string, unknown>): EventFilterValues {
  const pick = (k: string) => (typeof raw[k] === "string" && raw[k] ? (raw[k] as string) : undefined);
  return { type: pick("type"), instanceId: pick("instanceId"), from: pick("from"), to: pick("to"), before: pick("before") };
}

/** Admin event log: filters, cursor pages, detail, live tail (SSE). Any member may read it. */
export const eventPages = new Elysia({ name: "event-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get(
    "/events",
    async ({ admin, csrfToken, query, set }) => {
      const organizationId = admin.organization.id;
      const instances = await eventInstanceOptions(organizationId);
      const values = valuesOf(query);
      const parsed = parseForm(eventPageQuerySchema, query);
      const ordered: FieldError[] =
        parsed.ok && parsed.value.from && parsed.value.to && parsed.value.from > parsed.value.to
          ? [{ path: "to", message: tText("events:validation.toBeforeFrom") }]
          : [];
      if (!parsed.ok || ordered.length > 0) {
        const errors = parsed.ok ? ordered : parsed.errors;
        return unprocessable(set, () => (
          <EventsPage admin={admin} csrfToken={csrfToken} events={[]} nextCursor={null} values={values} errors={errors} instances={instances} />
        ));
      }
      const page = await listEvents({ organizationId }, { filter: filterOf(parsed.value), before: parsed.value.before, limit: EVENT_LIMITS.pageSize });
      return <EventsPage admin={admin} csrfToken={csrfToken} events={page.data} nextCursor={page.nextCursor} values={values} instances={instances} />;
    },
    { member: "agent", query: looseQuery, detail: { hide: true } },
  )
  .get(
    "/events/stream",
    async ({ admin, query, request }) => {
      const organizationId = admin.organization.id;
      const parsed = eventPageQuerySchema.safeParse(query);
      const filter = parsed.success ? filterOf(parsed.data) : {};
      let names = new Map((await eventInstanceOptions(organizationId)).map((i) => [i.id, i.name]));
      // Rows are rendered when a notification arrives, outside this request: in the reader's language and zone.
      const reader: RequestLocale = { locale: currentLocale(), timeZone: currentTimeZone() };
      // recordEvent publishes {id, type} on this topic at commit; load the row here, org-checked.
      return sseResponse(request, liveTopics.orgEvents(organizationId), async (data) => {
        if (typeof data.id !== "string") return null;
        const event = await getEvent({ organizationId }, data.id).catch(() => null);
        if (!event || !eventMatches(event, filter)) return null;
        if (event.instanceId && !names.has(event.instanceId)) {
          names = new Map((await eventInstanceOptions(organizationId)).map((i) => [i.id, i.name]));
        }
        const instanceName = event.instanceId ? names.get(event.instanceId) : null;
        const html = await withLocale(reader, () => <EventRow event={event} instanceName={instanceName} />);
        return { event: "event", data: html };
      });
    },
    { member: "agent", query: looseQuery, detail: { hide: true } },
  )
  .get(
    "/events/:id",
    async ({ admin, csrfToken, params }) => {
      if (!isUuid(params.id)) throw new AppError("not_found", tText("events:errors.notFound"));
      const organizationId = admin.organization.id;
      const event = await getEvent({ organizationId }, params.id);
      const instances = await eventInstanceOptions(organizationId);
      const instanceName = instances.find((i) => i.id === event.instanceId)?.name ?? null;
      const deliveries = can.manageWebhooks(admin.role) ? await listEventDeliveries(organizationId, event.id) : null;
      return <EventShowPage admin={admin} csrfToken={csrfToken} event={event} instanceName={instanceName} deliveries={deliveries} />;
    },
    { member: "agent", params: z.object({ id: z.string() }), detail: { hide: true } },
  );
