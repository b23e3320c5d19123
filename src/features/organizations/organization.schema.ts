import { z } from "zod";

export const ORGANIZATION_NAME_MAX = 80;

/** An organization's display name; the slug is derived once at creation and never changes. */
export const organizationName = z
  .string({ error: "Enter a name" })
  .trim()
  .min(2, "Use at least 2 characters")
  .max(ORGANIZATION_NAME_MAX, `Use at most ${ORGANIZATION_NAME_MAX} characters`);

export const createOrganizationSchema = z.object({ name: organizationName });
export const renameOrganizationSchema = z.object({ name: organizationName });
export const switchOrganizationSchema = z.object({ organizationId: z.uuid("Choose an organization") });

export type CreateOrganizationInput = z.infer<typeof createOrganizationSchema>;
