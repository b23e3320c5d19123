import { z } from "zod";
import { AVAILABILITY_STATUSES, ROLES } from "@/db/schema";
import { timestamp } from "@/lib/openapi";

const status = z.enum(AVAILABILITY_STATUSES).describe("online: receives auto-assigned conversations; away; offline");

/** The JSON of one member's own availability (availabilityJson). */
export const availabilityJsonSchema = z.object({
  userId: z.string(),
  status,
  statusChangedAt: timestamp().nullable(),
  lastSeenAt: timestamp().nullable().describe("Last request or heartbeat of their admin page"),
  capacity: z.number().int().nullable().describe("Open conversations auto-assignment may give them; null = each department's default"),
});

export const teamAvailabilitySchema = z.object({
  data: z.array(
    z.object({
      membershipId: z.string(),
      userId: z.string(),
      name: z.string().nullable(),
      email: z.string(),
      role: z.enum(ROLES),
      status,
      statusChangedAt: timestamp().nullable(),
      lastSeenAt: timestamp().nullable(),
      capacity: z.number().int().nullable(),
      openConversations: z.number().int().describe("Conversations assigned to them and not resolved"),
    }),
  ),
});

export const teamMemberSchema = teamAvailabilitySchema.shape.data.element;

export const availabilitySettingsJsonSchema = z.object({
  awayAfterMinutes: z.number().int().describe("Online members turn away after this many minutes without activity"),
});

export const departmentAssignmentJsonSchema = z.object({
  departmentId: z.string(),
  autoAssign: z.boolean().describe("Round-robin among the department's online members below their capacity"),
  defaultCapacity: z.number().int().describe("Capacity of a member without their own"),
});
