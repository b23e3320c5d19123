import { z } from "zod";

export const MONITOR_LIMITS = { board: 200, notes: 1000 } as const;

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);

/** The board's filters, in the URL: department (id or `none`), assignee (id or `none`), only conversations waiting for an answer. */
export const monitorFiltersSchema = z.object({
  departmentId: z.preprocess(emptyToUndefined, z.union([z.uuid(), z.literal("none")]).optional()),
  assigned: z.preprocess(emptyToUndefined, z.union([z.uuid(), z.literal("none")]).optional()),
  waiting: z.preprocess((v) => (v === "" || v === undefined ? undefined : v === "1" || v === "true" || v === true), z.boolean().optional()),
});
export type MonitorFilters = z.infer<typeof monitorFiltersSchema>;

export const verifySchema = z.object({ notes: z.string().trim().max(MONITOR_LIMITS.notes).nullable().optional() });

/** A supervisor's action on a conversation from the board. */
export const superviseSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("take_over") }),
  z.object({ kind: z.literal("assign"), userId: z.union([z.uuid(), z.null()]) }),
  z.object({ kind: z.literal("resolve") }),
]);
