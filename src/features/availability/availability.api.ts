import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import {
  availabilityJsonSchema,
  availabilitySettingsJsonSchema,
  departmentAssignmentJsonSchema,
  teamAvailabilitySchema,
  teamMemberSchema,
} from "./availability.openapi";
import { assignmentSettingsSchema, availabilitySettingsSchema, memberCapacitySchema, setAvailabilitySchema } from "./availability.schema";
import {
  availabilityJson,
  departmentAssignmentJson,
  getAvailabilitySettings,
  getDepartmentAssignment,
  getOwnAvailability,
  listTeamAvailability,
  setAvailabilitySettings,
  setDepartmentAssignment,
  setMemberCapacity,
  setOwnAvailability,
  teamMemberJson,
} from "./availability.service";

const idParams = z.object({ id: z.string() });
const tags = ["Availability"];

/**
 * `/v1/availability`: agents' availability and auto-assignment settings (scopes messages:read /
 * messages:write). "Me" is the member who created the key.
 */
export const availabilityApi = new Elysia({ name: "availability-api" })
  .use(authPlugin)
  .get("/v1/availability", async ({ caller }) => ({ data: (await listTeamAvailability(caller)).map(teamMemberJson) }), {
    apiKey: "messages:read",
    detail: { tags, summary: "List every member's availability and open-conversation load", responses: ok(teamAvailabilitySchema) },
  })
  .get("/v1/availability/me", async ({ caller }) => availabilityJson(await getOwnAvailability(caller)), {
    apiKey: "messages:read",
    detail: { tags, summary: "Get the availability of the member who created this key", responses: ok(availabilityJsonSchema) },
  })
  .put("/v1/availability/me", async ({ caller, body }) => availabilityJson(await setOwnAvailability(caller, body.status)), {
    apiKey: "messages:write",
    body: setAvailabilitySchema,
    detail: { tags, summary: "Set the availability of the member who created this key (online / away / offline)", responses: ok(availabilityJsonSchema) },
  })
  .get("/v1/availability/settings", ({ caller }) => getAvailabilitySettings(caller), {
    apiKey: "messages:read",
    detail: { tags, summary: "Get the inactivity limit after which online members turn away", responses: ok(availabilitySettingsJsonSchema) },
  })
  .put("/v1/availability/settings", ({ caller, body }) => setAvailabilitySettings(caller, body), {
    apiKey: "messages:write",
    body: availabilitySettingsSchema,
    detail: { tags, summary: "Set the inactivity limit after which online members turn away", responses: ok(availabilitySettingsJsonSchema) },
  })
  .put("/v1/members/:id/capacity", async ({ caller, params, body }) => teamMemberJson(await setMemberCapacity(caller, params.id, body.capacity)), {
    apiKey: "messages:write",
    params: idParams,
    body: memberCapacitySchema,
    detail: { tags, summary: "Set a member's capacity (by membership id; null = each department's default)", responses: ok(teamMemberSchema) },
  })
  .get("/v1/departments/:id/assignment", async ({ caller, params }) => departmentAssignmentJson(await getDepartmentAssignment(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a department's auto-assignment settings", responses: ok(departmentAssignmentJsonSchema) },
  })
  .put("/v1/departments/:id/assignment", async ({ caller, params, body }) => departmentAssignmentJson(await setDepartmentAssignment(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: assignmentSettingsSchema,
    detail: {
      tags,
      summary: "Turn a department's round-robin auto-assignment on or off and set its default capacity",
      responses: ok(departmentAssignmentJsonSchema),
    },
  });
