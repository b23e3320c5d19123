import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { forbidden } from "@/lib/errors";
import { setFlash, setReveal, takeFlash, takeReveal } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { attemptForm, formFields, parseForm, unprocessable } from "@/lib/forms";
import { MembersContent, MembersPage, type MembersProps } from "@views/members/index";
import { changeRoleSchema, createInvitationSchema } from "./member.schema";
import { changeMemberRole, listMembers, removeMember } from "./member.service";
import { createInvitation, listPendingInvitations, revokeInvitation } from "./invitation.service";

type Extra = Omit<MembersProps, "admin" | "csrfToken" | "members" | "invitations">;

/** The members page (full) or its swappable content (htmx), with fresh data. */
async function render(request: Request, admin: AdminContext, csrfToken: string, extra: Extra = {}) {
  const [members, invitations] = await Promise.all([
    listMembers(admin.organization.id),
    can.manageMembers(admin.role) ? listPendingInvitations(admin.organization.id) : Promise.resolve([]),
  ]);
  const props: MembersProps = { admin, csrfToken, members, invitations, ...extra };
  return isHtmx(request) ? MembersContent({ ...props, notice: props.notice ?? props.flash }) : MembersPage(props);
}

/**
 * Members and invitations of the active organization. Every role may read the list; changes need
 * `can.manageMembers` (admin+) and owner-related changes `can.manageOwners` (checked by the services).
 */
export const memberPages = new Elysia({ name: "member-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/members",
    async ({ admin, csrfToken, cookie, request }) => {
      // The invitation link created by the post that redirected here, shown this once (pages are no-store).
      const reveal = takeReveal(cookie, `invitation:${admin.organization.id}`);
      const created = reveal?.url
        ? ({ url: reveal.url, email: reveal.email ?? "", role: reveal.role, delivery: reveal.delivery } as MembersProps["created"])
        : undefined;
      return render(request, admin, csrfToken, { flash: takeFlash(cookie), created });
    },
    { member: "agent" },
  )
  .post(
    "/members/:id/role",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      if (!can.manageMembers(admin.role)) throw forbidden();
      const parsed = parseForm(changeRoleSchema, formFields(body));
      const result = parsed.ok ? await attemptForm(() => changeMemberRole(admin, { membershipId: params.id, role: parsed.value.role })) : parsed;
      // A rule the user can act on (the last owner) or a bad role: shown on the member's row.
      if (!result.ok)
        return unprocessable(set, () => render(request, admin, csrfToken, { rowError: { membershipId: params.id, message: result.errors[0]!.message } }));
      const member = result.value;
      setFlash(cookie, "success", tText("members:flash.roleChanged", { email: member.email, role: tText(`members:roles.${member.role}`) }));
      return hxRedirect(request, "/members");
    },
    { member: "agent" },
  )
  .post(
    "/members/:id/remove",
    async ({ admin, csrfToken, params, request, set, cookie }) => {
      if (!can.manageMembers(admin.role)) throw forbidden();
      const result = await attemptForm(() => removeMember(admin, params.id));
      if (!result.ok)
        return unprocessable(set, () => render(request, admin, csrfToken, { rowError: { membershipId: params.id, message: result.errors[0]!.message } }));
      setFlash(cookie, "success", tText("members:flash.removed"));
      return hxRedirect(request, "/members");
    },
    { member: "agent" },
  )
  .post(
    "/members/invitations",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      if (!can.manageMembers(admin.role)) throw forbidden();
      const fields = formFields(body);
      const values = { email: String(fields.email ?? ""), role: String(fields.role ?? "") };
      const parsed = parseForm(createInvitationSchema, fields);
      const result = parsed.ok ? await attemptForm(() => createInvitation(admin, parsed.value)) : parsed;
      if (!result.ok) return unprocessable(set, () => render(request, admin, csrfToken, { inviteValues: values, inviteErrors: result.errors }));
      const { invitation, url, delivery } = result.value;
      // Post → redirect → get: a refresh cannot invite twice; the link holds the token and rides along once.
      setReveal(cookie, `invitation:${admin.organization.id}`, { url, email: invitation.email, role: invitation.role, delivery });
      return hxRedirect(request, "/members");
    },
    { member: "agent" },
  )
  .post(
    "/members/invitations/:id/revoke",
    async ({ admin, params, request, cookie }) => {
      if (!can.manageMembers(admin.role)) throw forbidden();
      const invitation = await revokeInvitation(admin, params.id);
      setFlash(cookie, "success", tText("members:flash.revoked", { email: invitation.email }));
      return hxRedirect(request, "/members");
    },
    { member: "agent" },
  );
