import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { takeFlash } from "@/lib/flash";
import { catchUpSince, sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { AvailabilityControl, AvailabilityPage, AvailabilitySettingsForm, CapacityForm, DepartmentAssignmentForm } from "@views/availability/index";
import { assignmentSettingsSchema, availabilitySettingsSchema, memberCapacitySchema, setAvailabilitySchema } from "./availability.schema";
import {
  getAvailabilitySettings,
  getDepartmentAssignment,
  getOwnAvailability,
  listDepartmentAssignment,
  listMemberStatuses,
  listTeamAvailability,
  noteActivity,
  setAvailabilitySettings,
  setDepartmentAssignment,
  setMemberCapacity,
  setOwnAvailability,
} from "./availability.service";

const idParams = z.object({ id: z.string() });

/**
 * Availability pages: the header's switch (every member), its heartbeat and live stream, and the
 * supervisors' team page (status, load, capacities, inactivity limit, departments' auto-assignment).
 */
export const availabilityPages = new Elysia({ name: "availability-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/availability/control",
    async ({ admin }) => {
      const renderedAt = Date.now();
      await noteActivity(admin.organizationId, admin.id);
      const own = await getOwnAvailability(admin);
      return AvailabilityControl({ userId: admin.id, status: own.status, renderedAt });
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/availability/status",
    async ({ admin, body, set }) => {
      const parsed = parseForm(setAvailabilitySchema, { status: formText(formFields(body).status) });
      if (!parsed.ok) {
        const own = await getOwnAvailability(admin);
        return unprocessable(set, () => AvailabilityControl({ userId: admin.id, status: own.status }));
      }
      const own = await setOwnAvailability(admin, parsed.value.status);
      return AvailabilityControl({ userId: admin.id, status: own.status });
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/availability/heartbeat",
    async ({ admin, set }) => {
      await noteActivity(admin.organizationId, admin.id);
      set.status = 204;
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/availability/stream",
    ({ admin, request, query }) => {
      const topic = liveTopics.orgAvailability(admin.organizationId);
      return sseResponse(
        request,
        topic,
        (data) =>
          typeof data.userId === "string" && typeof data.status === "string"
            ? { event: "availability", data: JSON.stringify({ userId: data.userId, status: data.status }) }
            : null,
        // A change between the page's render (the switch's or the team table's, the earlier) and this
        // subscription sent no frame: every member's status then, applied like single updates.
        catchUpSince(topic, query.since, async () => ({ event: "statuses", data: JSON.stringify(await listMemberStatuses(admin.organizationId)) })),
      );
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/availability",
    async ({ admin, csrfToken, cookie }) => {
      const renderedAt = Date.now();
      return AvailabilityPage({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        members: await listTeamAvailability(admin),
        renderedAt,
        awayAfterMinutes: (await getAvailabilitySettings(admin)).awayAfterMinutes,
        departments: await listDepartmentAssignment(admin),
      });
    },
    { member: "supervisor" },
  )
  .post(
    "/availability/settings",
    async ({ admin, body, set }) => {
      const awayAfterMinutes = formText(formFields(body).awayAfterMinutes);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => AvailabilitySettingsForm({ awayAfterMinutes, errors }));
      const parsed = parseForm(availabilitySettingsSchema, { awayAfterMinutes });
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => setAvailabilitySettings(admin, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      return AvailabilitySettingsForm({ awayAfterMinutes: String(saved.value.awayAfterMinutes), saved: true });
    },
    { member: "supervisor" },
  )
  .post(
    "/members/:id/capacity",
    async ({ admin, params, body, set }) => {
      const member = (await listTeamAvailability(admin)).find((m) => m.membershipId === params.id);
      const parsed = parseForm(memberCapacitySchema, { capacity: formText(formFields(body).capacity) });
      if (!parsed.ok && member) return unprocessable(set, () => CapacityForm({ member, errors: parsed.errors }));
      const saved = await setMemberCapacity(admin, params.id, parsed.ok ? parsed.value.capacity : null);
      return CapacityForm({ member: saved });
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/departments/:id/assignment",
    async ({ admin, params, body, set }) => {
      const current = await getDepartmentAssignment(admin, params.id);
      const fields = formFields(body);
      const parsed = parseForm(assignmentSettingsSchema, { autoAssign: checkbox(fields.autoAssign), defaultCapacity: formText(fields.defaultCapacity) });
      if (!parsed.ok) return unprocessable(set, () => DepartmentAssignmentForm({ department: current, errors: parsed.errors }));
      const saved = await setDepartmentAssignment(admin, params.id, parsed.value);
      return DepartmentAssignmentForm({ department: saved, saved: true });
    },
    { member: "supervisor", params: idParams },
  );
