import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { roleAtLeast } from "@/auth/roles";
import { listAllInstances } from "@/features/instances/instance.service";
import type { FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, formFields, formList, formText } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { currentTimeZone, tText, zonedWallTimeToDate } from "@/lib/i18n";
import {
  DeclareForm,
  DeclarePage,
  NotificationLog,
  OutageCounts,
  OutageEditForm,
  OutageShow,
  OutagesIndex,
  RegionForm,
  RegionsPage,
  type DeclareValues,
  type EditValues,
  type RegionFormValues,
} from "@views/outages/index";
import { notificationListQuerySchema, outageListQuerySchema } from "./outage.schema";
import {
  cancelOutage,
  createRegion,
  declareOutage,
  deleteRegion,
  getOutage,
  getRegion,
  listNotifications,
  listOutages,
  listRegions,
  notificationJson,
  outageJson,
  outageMetrics,
  regionJson,
  resolveOutage,
  updateOutage,
  updateRegion,
} from "./outage.service";

const idParams = z.object({ id: z.string() });
const canManage = (admin: AdminContext) => roleAtLeast(admin.role, "supervisor");
const regionsOf = async (admin: AdminContext) => (await listRegions(admin)).map(regionJson);
const instancesOf = async (admin: AdminContext) => (await listAllInstances(admin)).map((i) => ({ id: i.id, name: i.name }));
const cursorOf = (query: Record<string, unknown>) => (typeof query.cursor === "string" && query.cursor ? query.cursor : undefined);

/** "Teresópolis: Centro, Alto" per line → { city, neighborhoods }; a line with no city is an error on `areas`. */
function parseAreas(text: string): { custom: { city: string; neighborhoods: string[] }[]; errors: FieldError[] } {
  const custom: { city: string; neighborhoods: string[] }[] = [];
  const errors: FieldError[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const [city = "", rest = ""] = line.split(/:(.*)/s, 2);
    if (!city.trim()) {
      errors.push({ path: "areas", message: tText("outages:errors.areaLine", { line: i + 1 }) });
      return;
    }
    custom.push({
      city: city.trim(),
      neighborhoods: rest
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean),
    });
  });
  return { custom, errors };
}

/** The form's wall-clock estimate, in the reader's zone, as ISO 8601 (an unreadable one is left for the schema's 422). */
function estimateOf(local: string): string | null {
  if (!local) return null;
  try {
    const at = zonedWallTimeToDate(local, currentTimeZone());
    return Number.isNaN(at.getTime()) ? local : at.toISOString();
  } catch {
    return local;
  }
}

/** The outage pages: the list, the declaration form, an outage's detail (live counts, the log, resolve / cancel) and the regions. */
export const outagesPages = new Elysia({ name: "outages-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/outages",
    async ({ admin, csrfToken, cookie, query }) => {
      const page = await listOutages(admin, outageListQuerySchema.parse({ cursor: cursorOf(query) }));
      return OutagesIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        outages: page.data.map(outageJson),
        regions: await regionsOf(admin),
        nextCursor: page.nextCursor,
        canManage: canManage(admin),
      });
    },
    { member: "agent" },
  )
  .get(
    "/outages/new",
    async ({ admin, csrfToken }) =>
      DeclarePage({ admin, csrfToken, values: { severity: "high" }, regions: await regionsOf(admin), instances: await instancesOf(admin) }),
    { member: "supervisor" },
  )
  .post(
    "/outages",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values: DeclareValues = {
        title: formText(fields.title),
        description: formText(fields.description),
        severity: formText(fields.severity),
        regionIds: formList(fields.regionIds),
        areas: formText(fields.areas),
        estimatedResolutionAt: formText(fields.estimatedResolutionAt),
        noticeMessage: formText(fields.noticeMessage),
        resolutionMessage: formText(fields.resolutionMessage),
        instanceIds: formList(fields.instanceIds),
        perMinute: formText(fields.perMinute),
        dailyCap: formText(fields.dailyCap),
      };
      const [regions, instances] = await Promise.all([regionsOf(admin), instancesOf(admin)]);
      const rerender = (errors: FieldError[]) => {
        set.status = 422;
        return DeclareForm({ values, errors, regions, instances });
      };
      const areas = parseAreas(values.areas ?? "");
      if (areas.errors.length) return rerender(areas.errors);
      const declared = await attemptForm(() =>
        declareOutage(admin, {
          title: values.title,
          description: values.description,
          severity: values.severity,
          affected: { regionIds: values.regionIds, custom: areas.custom },
          estimatedResolutionAt: estimateOf(values.estimatedResolutionAt ?? ""),
          noticeMessage: values.noticeMessage,
          resolutionMessage: values.resolutionMessage,
          instanceIds: values.instanceIds,
          pacing: { perMinute: values.perMinute || undefined, dailyCap: values.dailyCap || undefined },
        }),
      );
      if (!declared.ok) return rerender(declared.errors);
      const metrics = await outageMetrics(admin, declared.value.id);
      setFlash(cookie, "success", tText("outages:flash.declared", { count: metrics.notice.total }));
      return hxRedirect(request, `/outages/${declared.value.id}`);
    },
    { member: "supervisor" },
  )
  .get(
    "/outages/regions",
    async ({ admin, csrfToken, cookie }) =>
      RegionsPage({ admin, csrfToken, flash: takeFlash(cookie), regions: await regionsOf(admin), canManage: canManage(admin) }),
    { member: "agent" },
  )
  .post(
    "/outages/regions",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values: RegionFormValues = {
        name: formText(fields.name),
        cities: formText(fields.cities),
        states: formText(fields.states),
        cepPrefixes: formText(fields.cepPrefixes),
      };
      const created = await attemptForm(() => createRegion(admin, values));
      if (!created.ok) {
        set.status = 422;
        return RegionForm({ values, errors: created.errors });
      }
      setFlash(cookie, "success", tText("outages:flash.regionSaved"));
      return hxRedirect(request, "/outages/regions");
    },
    { member: "supervisor" },
  )
  .post(
    "/outages/regions/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      const region = regionJson(await getRegion(admin, params.id));
      const fields = formFields(body);
      const values: RegionFormValues = {
        name: formText(fields.name),
        cities: formText(fields.cities),
        states: formText(fields.states),
        cepPrefixes: formText(fields.cepPrefixes),
      };
      const saved = await attemptForm(() => updateRegion(admin, params.id, values));
      if (!saved.ok) {
        set.status = 422;
        return RegionForm({ region, values, errors: saved.errors });
      }
      setFlash(cookie, "success", tText("outages:flash.regionSaved"));
      return hxRedirect(request, "/outages/regions");
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/outages/regions/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteRegion(admin, params.id);
      setFlash(cookie, "success", tText("outages:flash.regionDeleted"));
      return hxRedirect(request, "/outages/regions");
    },
    { member: "supervisor", params: idParams },
  )
  .get(
    "/outages/:id",
    async ({ admin, csrfToken, cookie, params, query }) => {
      const outage = await getOutage(admin, params.id);
      const [metrics, log, regions] = await Promise.all([
        outageMetrics(admin, outage.id),
        listNotifications(admin, outage.id, notificationListQuerySchema.parse({ cursor: cursorOf(query) })),
        regionsOf(admin),
      ]);
      return OutageShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        outage: outageJson(outage),
        regions,
        metrics,
        log: { rows: log.data.map(notificationJson), nextCursor: log.nextCursor },
        canManage: canManage(admin),
      });
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/outages/:id/counts",
    async ({ admin, params }) => {
      const outage = await getOutage(admin, params.id);
      const metrics = await outageMetrics(admin, outage.id);
      return OutageCounts({ outageId: outage.id, metrics, live: outage.status === "active" || metrics.resolution.pending > 0 });
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/outages/:id/log",
    async ({ admin, params, query }) => {
      const log = await listNotifications(admin, params.id, notificationListQuerySchema.parse({ cursor: cursorOf(query) }));
      return NotificationLog({ outageId: params.id, rows: log.data.map(notificationJson), nextCursor: log.nextCursor });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/outages/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      const outage = outageJson(await getOutage(admin, params.id));
      const fields = formFields(body);
      const values: EditValues = {
        title: formText(fields.title),
        description: formText(fields.description),
        severity: formText(fields.severity),
        estimatedResolutionAt: formText(fields.estimatedResolutionAt),
        noticeMessage: formText(fields.noticeMessage),
        resolutionMessage: formText(fields.resolutionMessage),
      };
      const saved = await attemptForm(() =>
        updateOutage(admin, params.id, { ...values, estimatedResolutionAt: estimateOf(values.estimatedResolutionAt ?? "") }),
      );
      if (!saved.ok) {
        set.status = 422;
        return OutageEditForm({ outage, values, errors: saved.errors });
      }
      setFlash(cookie, "success", tText("outages:flash.saved"));
      return hxRedirect(request, `/outages/${params.id}`);
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/outages/:id/resolve",
    async ({ admin, params, request, cookie }) => {
      await resolveOutage(admin, params.id);
      setFlash(cookie, "success", tText("outages:flash.resolved"));
      return hxRedirect(request, `/outages/${params.id}`);
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/outages/:id/cancel",
    async ({ admin, params, request, cookie }) => {
      await cancelOutage(admin, params.id);
      setFlash(cookie, "success", tText("outages:flash.cancelled"));
      return hxRedirect(request, `/outages/${params.id}`);
    },
    { member: "supervisor", params: idParams },
  );
