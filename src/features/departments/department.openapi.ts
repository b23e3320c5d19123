import { z } from "zod";
import { departments, greetingMenus } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/departments` answers (departmentJson), documented in /openapi.json. */
export const departmentJsonSchema = rowJson(departments, [
  "id",
  "name",
  "color",
  "active",
  "autoCloseMinutes",
  "autoCloseMessage",
  "createdAt",
  "updatedAt",
]).extend({
  memberIds: z.array(z.string()).describe("User ids of the department's members (agents see its conversations)"),
});

export const departmentListSchema = z.object({
  data: z.array(departmentJsonSchema),
  nextCursor: z.null().describe("Always null: every department is listed"),
});

/** `GET/PUT /v1/instances/:id/greeting-menu` (greetingMenuJson). */
export const greetingMenuJsonSchema = rowJson(greetingMenus, ["instanceId", "enabled", "greeting", "maxAttempts", "fallbackDepartmentId"]).extend({
  options: z
    .array(z.object({ departmentId: z.string(), name: z.string(), position: z.number().int() }))
    .describe("Active departments in menu order: option n is the n-th"),
});
