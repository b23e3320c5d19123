import type { Role } from "@/db/schema";
import { forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";

const RANK: Record<Role, number> = { agent: 1, supervisor: 2, admin: 3, owner: 4 };

/** True when `role` is at least `minimum` (owner > admin > supervisor > agent). */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

/** What each role may do; pages and actions check these rather than comparing roles inline. */
export const can = {
  manageKeys: (role: Role) => roleAtLeast(role, "admin"),
  manageWebhooks: (role: Role) => roleAtLeast(role, "admin"),
  manageMembers: (role: Role) => roleAtLeast(role, "admin"),
  /** Granting owner, or changing/removing an existing owner, is reserved to owners. */
  manageOwners: (role: Role) => role === "owner",
  manageDevices: (role: Role) => roleAtLeast(role, "admin"),
  manageOrganization: (role: Role) => roleAtLeast(role, "admin"),
  manageInstances: (role: Role) => roleAtLeast(role, "supervisor"),
  manageAutomation: (role: Role) => roleAtLeast(role, "supervisor"),
  viewAudit: (role: Role) => roleAtLeast(role, "admin"),
  /** Agents use canned replies; supervisors and above write them. */
  manageCannedReplies: (role: Role) => roleAtLeast(role, "supervisor"),
  manageAnnouncements: (role: Role) => roleAtLeast(role, "admin"),
  /** Departments (queues), their members, auto-close and the instances' greeting menus. */
  manageDepartments: (role: Role) => roleAtLeast(role, "admin"),
  /** Agents apply conversation labels; supervisors and above define them. */
  manageLabels: (role: Role) => roleAtLeast(role, "supervisor"),
  /** Complaints (ouvidoria): agents open them, add notes and work the ones assigned to them; supervisors and above assign and change any. */
  manageComplaints: (role: Role) => roleAtLeast(role, "supervisor"),
  /** The supervisor's monitor: alerts, verification, NPS dashboard and detractor tasks. */
  superviseConversations: (role: Role) => roleAtLeast(role, "supervisor"),
};

/** Platform pages (users, sign-up requests) are for platform admins only (the install's first account). */
export function assertPlatformAdmin(caller: { platformAdmin?: boolean }): void {
  if (!caller.platformAdmin) throw forbidden(tText("registrations:errors.platformAdminsOnly"));
}
