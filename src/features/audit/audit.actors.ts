import { port } from "@/lib/port";

/**
 * The organization's members, for the audit log's "who" filter. Members record audit entries, so
 * audit sits below them and does not import them: src/routes.ts plugs in members' listMembers.
 */
export const organizationMembers =
  port<(organizationId: string) => Promise<{ userId: string; name: string | null; email: string }[]>>("audit: the organization's members");
