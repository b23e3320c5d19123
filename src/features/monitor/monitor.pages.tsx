import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { setFlash, takeFlash } from "@/lib/flash";
import { formFields, formText } from "@/lib/forms";
import { hxTrigger, isHtmx } from "@/lib/htmx";
import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { catchUpSince, sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { MonitorBoard, MonitorPage } from "@views/monitor/index";
import { alertJson, listAlerts, listSupervisorActions, resolveAlert } from "@/features/alerts/alert.service";
import { monitorFiltersSchema, type MonitorFilters } from "./monitor.schema";
import { monitorBoard, superviseConversation, verifyConversation } from "./monitor.service";

const idParams = z.object({ id: z.string() });

/** Events that change what the board shows: a message in or out, an assignment or resolution, an alert. */
const BOARD_EVENTS = /^(message\.(received|sent)|conversation\.|alert\.)/;

function queryOf(filters: MonitorFilters): string {
  const params = new URLSearchParams();
  if (filters.departmentId) params.set("departmentId", filters.departmentId);
  if (filters.assigned) params.set("assigned", filters.assigned);
  if (filters.waiting) params.set("waiting", "1");
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** After an action: htmx gets 204 + HX-Trigger (the page's script fetches the board again); a plain form goes back to the board. */
function changed(request: Request): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: hxTrigger({ "monitor-changed": true }) });
  return new Response(null, { status: 303, headers: { Location: "/monitor" } });
}

/** The supervisor's live monitor (supervisors and above; the service checks the role again). */
export const monitorPages = new Elysia({ name: "monitor-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/monitor",
    async ({ admin, csrfToken, cookie, query }) => {
      const renderedAt = Date.now();
      const filters = monitorFiltersSchema.catch({}).parse(query);
      const [board, alerts, actions] = await Promise.all([
        monitorBoard(admin, filters),
        listAlerts(admin, { status: "open", limit: 50 }),
        listSupervisorActions(admin, { limit: 20 }),
      ]);
      return MonitorPage({
        actions,
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        board,
        alerts: alerts.data.map(alertJson),
        filters,
        query: queryOf(filters),
        canResolve: can.superviseConversations(admin.role),
        renderedAt,
      });
    },
    { member: "supervisor" },
  )
  .get(
    "/monitor/board",
    async ({ admin, csrfToken, query }) => {
      const filters = monitorFiltersSchema.catch({}).parse(query);
      const [board, alerts] = await Promise.all([monitorBoard(admin, filters), listAlerts(admin, { status: "open", limit: 50 })]);
      return MonitorBoard({ board, alerts: alerts.data.map(alertJson), csrfToken, canResolve: can.superviseConversations(admin.role) });
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .get(
    "/monitor/stream",
    ({ admin, request, query }) => {
      const topic = liveTopics.orgEvents(admin.organization.id);
      return sseResponse(
        request,
        topic,
        (data) => (typeof data.type === "string" && BOARD_EVENTS.test(data.type) ? { event: "changed", data: JSON.stringify({ type: data.type }) } : null),
        // Something happened between the page's render and this subscription: the board is fetched again.
        catchUpSince(topic, query.since, () => ({ event: "changed", data: "{}" })),
      );
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .post(
    "/monitor/conversations/:id/verify",
    async ({ admin, params, body, request }) => {
      const verified = formText(formFields(body).verified) !== "false";
      await verifyConversation(admin, params.id, verified, formText(formFields(body).notes) || null);
      return changed(request);
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/monitor/conversations/:id/take-over",
    async ({ admin, params, request, cookie }) => {
      await superviseConversation(admin, params.id, { kind: "take_over" });
      if (!isHtmx(request)) setFlash(cookie, "success", tText("monitor:flash.takenOver"));
      return changed(request);
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/monitor/conversations/:id/assign",
    async ({ admin, params, body, request }) => {
      const userId = formText(formFields(body).userId);
      if (userId !== "" && !isUuid(userId)) throw validationFailed([{ path: "userId", message: tText("monitor:errors.agentInvalid") }]);
      await superviseConversation(admin, params.id, { kind: "assign", userId: userId || null });
      return changed(request);
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/monitor/alerts/:id/resolve",
    async ({ admin, params, request }) => {
      await resolveAlert(admin, params.id);
      return changed(request);
    },
    { member: "supervisor", params: idParams },
  );
