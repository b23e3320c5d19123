import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { ROLES, type Role } from "@/db/schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { EMAIL_MAX, ROLE_HELP } from "@/features/members/member.schema";
import type { MemberRow } from "@/features/members/member.service";
import type { InvitationDelivery, PendingInvitation } from "@/features/members/invitation.service";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, SelectField, Time } from "../components/ui";

export type MembersProps = {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  members: MemberRow[];
  invitations: PendingInvitation[];
  /** Error of a role change / removal, shown on that member's row. */
  rowError?: { membershipId: string; message: string };
  /** The link of an invitation just created: shown once, the token is not stored. */
  created?: { url: string; email: string; role: Role; delivery?: InvitationDelivery };
  inviteValues?: { email?: string; role?: string };
  inviteErrors?: FieldError[];
  /** A one-off message inside the swapped fragment (htmx responses do not re-render the layout's flash). */
  notice?: Flash;
};

const HX = { target: "#members-page", swap: "outerHTML" };

const INVITE_DELIVERY_TEXT: Record<InvitationDelivery, string> = {
  emailed: "We emailed them the link; you can also pass it on yourself (valid for 7 days, shown only now):",
  email_failed: "The email could not be sent, so send them this link yourself (valid for 7 days, shown only now):",
  link_only: "Send them this link (valid for 7 days, shown only now):",
};

function roleTone(role: Role) {
  return role === "owner" ? "ok" : role === "admin" ? "warn" : "muted";
}

/** Roles the actor may assign: owner only by owners. */
function assignableRoles(actorRole: Role): Role[] {
  return ROLES.filter((r) => r !== "owner" || can.manageOwners(actorRole));
}

function MemberRowView({ m, props }: { m: MemberRow; props: MembersProps }) {
  const { admin, csrfToken } = props;
  const canManage = can.manageMembers(admin.role) && (m.role !== "owner" || can.manageOwners(admin.role));
  const error = props.rowError?.membershipId === m.id ? props.rowError.message : undefined;
  const isMe = m.userId === admin.user.id;
  return (
    <tr id={`member-${m.id}`}>
      <td data-label="">
        <strong safe>{m.name || m.email}</strong>
        {isMe ? <span class="muted small"> (you)</span> : ""}
        <br />
        <span class="muted small" safe>
          {m.email}
        </span>
      </td>
      <td data-label="Role">
        {canManage ? (
          <form method="post" action={`/members/${m.id}/role`} hx-post={`/members/${m.id}/role`} hx-target={HX.target} hx-swap={HX.swap} class="row">
            <CsrfField token={csrfToken} />
            <label for={`role-${m.id}`} class="sr-only">
              Role
            </label>
            <select id={`role-${m.id}`} name="role" aria-invalid={error ? "true" : undefined}>
              {assignableRoles(admin.role).map((r) => (
                <option value={r} selected={r === m.role}>
                  {r}
                </option>
              ))}
            </select>
            <button type="submit" class="secondary">
              Save
            </button>
          </form>
        ) : (
          <Badge tone={roleTone(m.role)}>
            <span>{m.role}</span>
          </Badge>
        )}
        {error ? (
          <small class="error" role="alert" safe>
            {error}
          </small>
        ) : (
          ""
        )}
      </td>
      <td class="hide-narrow">
        <Time at={m.createdAt} />
      </td>
      <td class="actions">
        {canManage ? (
          <form
            method="post"
            action={`/members/${m.id}/remove`}
            hx-post={`/members/${m.id}/remove`}
            hx-target={HX.target}
            hx-swap={HX.swap}
            hx-confirm={isMe ? "Leave this organization?" : `Remove ${m.email} from the organization?`}
          >
            <CsrfField token={csrfToken} />
            <button type="submit" class="danger">
              {isMe ? "Leave" : "Remove"}
            </button>
          </form>
        ) : (
          ""
        )}
      </td>
    </tr>
  );
}

function InvitationsSection(props: MembersProps) {
  const { admin, csrfToken, invitations, created } = props;
  const roles = assignableRoles(admin.role).map((r) => ({ value: r, label: `${r} — ${ROLE_HELP[r]}` }));
  return (
    <section id="invitations">
      <h2>Invitations</h2>
      {created ? (
        <div class="card invite-created" role="status">
          <p>
            Invitation for <strong safe>{created.email}</strong> as <strong>{created.role}</strong> created.{" "}
            <span safe>{INVITE_DELIVERY_TEXT[created.delivery ?? "link_only"]}</span>
          </p>
          <div class="secret" id="invite-link" safe>
            {created.url}
          </div>
          <p>
            <button type="button" class="secondary" data-copy="#invite-link">
              Copy link
            </button>
          </p>
        </div>
      ) : (
        ""
      )}
      <form method="post" action="/members/invitations" hx-post="/members/invitations" hx-target={HX.target} hx-swap={HX.swap} class="card invite-form">
        <CsrfField token={csrfToken} />
        <Field label="Email" name="email" type="email" value={props.inviteValues?.email === undefined ? undefined : Html.escapeHtml(props.inviteValues.email)} errors={props.inviteErrors} required maxlength={EMAIL_MAX} autocomplete="off" placeholder="teammate@example.com" />
        <SelectField label="Role" name="role" options={roles} value={props.inviteValues?.role ?? "agent"} errors={props.inviteErrors} />
        <button type="submit">Create invitation link</button>
      </form>
      {invitations.length === 0 ? (
        <EmptyState>No pending invitations.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>Email</th>
                <th>Role</th>
                <th class="hide-narrow">Invited by</th>
                <th>Expires</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((inv) => (
                <tr id={`invitation-${inv.id}`}>
                  <td data-label="" safe>
                    {inv.email}
                  </td>
                  <td data-label="Role">
                    <Badge tone={roleTone(inv.role)}>
                      <span>{inv.role}</span>
                    </Badge>
                  </td>
                  <td class="hide-narrow muted small" safe>
                    {inv.invitedByEmail ?? "—"}
                  </td>
                  <td data-label="Expires">
                    <Time at={inv.expiresAt} />
                  </td>
                  <td class="actions">
                    {inv.role !== "owner" || can.manageOwners(admin.role) ? (
                      <form
                        method="post"
                        action={`/members/invitations/${inv.id}/revoke`}
                        hx-post={`/members/invitations/${inv.id}/revoke`}
                        hx-target={HX.target}
                        hx-swap={HX.swap}
                        hx-confirm={`Revoke the invitation for ${inv.email}?`}
                      >
                        <CsrfField token={csrfToken} />
                        <button type="submit" class="secondary">
                          Revoke
                        </button>
                      </form>
                    ) : (
                      ""
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The swappable part of the page (htmx forms replace it whole). */
export function MembersContent(props: MembersProps) {
  const manage = can.manageMembers(props.admin.role);
  return (
    <div id="members-page">
      {props.notice ? (
        <div class={`flash flash-${props.notice.type}`} role="status" safe>
          {props.notice.message}
        </div>
      ) : (
        ""
      )}
      <h1>Members</h1>
      {manage ? "" : <p class="muted small">Only admins and owners can change roles, remove members or invite people.</p>}
      <div class="table-wrap">
        <table class="stack-table">
          <thead>
            <tr>
              <th>Member</th>
              <th>Role</th>
              <th class="hide-narrow">Joined</th>
              <th>
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.members.map((m) => (
              <MemberRowView m={m} props={props} />
            ))}
          </tbody>
        </table>
      </div>
      {manage ? <InvitationsSection {...props} /> : ""}
    </div>
  );
}

export function MembersPage(props: MembersProps) {
  return (
    <AdminLayout title="Members" admin={props.admin} csrfToken={props.csrfToken} active="members" flash={props.flash}>
      <MembersContent {...props} />
    </AdminLayout>
  );
}
