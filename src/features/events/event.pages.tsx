import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { parseForm, unprocessable } from "@/lib/forms";
import { currentLocale, currentTimeZone, tText, withLocale, zonedWallTimeToDate, type RequestLocale } from "@/lib/i18n";
import { catchUpSince, sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { EventsPage, type EventFilterValues } from "@views/events/index";
import { EventRow } from "@views/events/_row";
import { EventShowPage } from "@views/events/show";
import { EVENT_LIMITS, eventPageQuerySchema, type EventPageQuery } from "./event.schema";
import { eventInstanceOptions, eventMatches, getEvent, listEventDeliveries, listEvents, type Event, type EventFilter } from "./event.service";
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
      const renderedAt = Date.now();
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
          <EventsPage
            admin={admin}
            csrfToken={csrfToken}
            events={[]}
            nextCursor={null}
            values={values}
            errors={errors}
            instances={instances}
            renderedAt={renderedAt}
          />
        ));
      }
      const page = await listEvents({ organizationId }, { filter: filterOf(parsed.value), before: parsed.value.before, limit: EVENT_LIMITS.pageSize });
      return (
        <EventsPage
          admin={admin}
          csrfToken={csrfToken}
          events={page.data}
          nextCursor={page.nextCursor}
          values={values}
          instances={instances}
          renderedAt={renderedAt}
        />
      );
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
      const rows = async (shown: Event[]) => {
        if (shown.some((e) => e.instanceId && !names.has(e.instanceId))) {
          names = new Map((await eventInstanceOptions(organizationId)).map((i) => [i.id, i.name]));
        }
        const html = await withLocale(reader, () => (
          <>
            {shown.map((e) => (
              <EventRow event={e} instanceName={e.instanceId ? names.get(e.instanceId) : null} />
            ))}
          </>
        ));
        return { event: "event", data: String(html) };
      };
      const topic = liveTopics.orgEvents(organizationId);
      // Rows recorded between the page's render (or the tail's pause) and this subscription, oldest first
      // (the page puts each on top); the page skips those it already shows.
      const catchUp = catchUpSince(topic, query.since, async (since) => {
        const from = new Date(Math.max(since - EVENT_LIMITS.liveCatchUpMarginMs, filter.from?.getTime() ?? 0));
        const recent = await listEvents({ organizationId }, { filter: { ...filter, from }, limit: EVENT_LIMITS.pageSize });
        return recent.data.length > 0 ? rows(recent.data.reverse()) : null;
      });
      // recordEvent publishes {id, type} on this topic at commit; load the row here, org-checked.
      return sseResponse(
        request,
        topic,
        async (data) => {
          if (typeof data.id !== "string") return null;
          const event = await getEvent({ organizationId }, data.id).catch(() => null);
          return event && eventMatches(event, filter) ? rows([event]) : null;
        },
        catchUp,
      );
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
