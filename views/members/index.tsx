import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { ROLES, type Role } from "@/db/schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { EMAIL_MAX } from "@/features/members/member.schema";
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

/** Catalog keys (text is read per request, in the reader's language). */
const INVITE_DELIVERY_TEXT: Record<InvitationDelivery, string> = {
  emailed: "members:invitations.emailed",
  email_failed: "members:invitations.emailFailed",
  link_only: "members:invitations.linkOnly",
};

const roleLabel = (role: Role) => tText(`members:roles.${role}`);

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
        {isMe ? <span class="muted small"> {t("members:you")}</span> : ""}
        <br />
        <span class="muted small" safe>
          {m.email}
        </span>
      </td>
      <td data-label={tText("members:columns.role")}>
        {canManage ? (
          <form method="post" action={`/members/${m.id}/role`} hx-post={`/members/${m.id}/role`} hx-target={HX.target} hx-swap={HX.swap} class="row">
            <CsrfField token={csrfToken} />
            <label for={`role-${m.id}`} class="sr-only">
              {t("members:columns.role")}
            </label>
            <select id={`role-${m.id}`} name="role" aria-invalid={error ? "true" : undefined}>
              {assignableRoles(admin.role).map((r) => (
                <option value={r} selected={r === m.role}>
                  {t(`members:roles.${r}`)}
                </option>
              ))}
            </select>
            <button type="submit" class="secondary">
              {t("members:save")}
            </button>
          </form>
        ) : (
          <Badge tone={roleTone(m.role)}>
            <span>{t(`members:roles.${m.role}`)}</span>
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
            hx-confirm={isMe ? tText("members:leaveConfirm") : tText("members:removeConfirm", { email: m.email })}
          >
            <CsrfField token={csrfToken} />
            <button type="submit" class="danger">
              {isMe ? t("members:leave") : t("members:remove")}
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
  const roles = assignableRoles(admin.role).map((r) => ({
    value: r,
    label: tText("members:roleOption", { role: roleLabel(r), help: tText(`members:roleHelp.${r}`) }),
  }));
  return (
    <section id="invitations">
      <h2>{t("members:invitations.title")}</h2>
      {created ? (
        <div class="card invite-created" role="status">
          <p>
            {t("members:invitations.created", { email: created.email, role: roleLabel(created.role) })}{" "}
            <span>{t(INVITE_DELIVERY_TEXT[created.delivery ?? "link_only"])}</span>
          </p>
          <div class="secret" id="invite-link" safe>
            {created.url}
          </div>
          <p>
            <button type="button" class="secondary" data-copy="#invite-link">
              {t("members:invitations.copy")}
            </button>
          </p>
        </div>
      ) : (
        ""
      )}
      <form method="post" action="/members/invitations" hx-post="/members/invitations" hx-target={HX.target} hx-swap={HX.swap} class="card invite-form">
        <CsrfField token={csrfToken} />
        <Field
          label={tText("members:invitations.email")}
          name="email"
          type="email"
          value={props.inviteValues?.email === undefined ? undefined : Html.escapeHtml(props.inviteValues.email)}
          errors={props.inviteErrors}
          required
          maxlength={EMAIL_MAX}
          autocomplete="off"
          placeholder={tText("members:invitations.emailPlaceholder")}
        />
        <SelectField
          label={tText("members:invitations.role")}
          name="role"
          options={roles}
          value={props.inviteValues?.role ?? "agent"}
          errors={props.inviteErrors}
        />
        <button type="submit">{t("members:invitations.create")}</button>
      </form>
      {invitations.length === 0 ? (
        <EmptyState>{t("members:invitations.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("members:columns.email")}</th>
                <th>{t("members:columns.role")}</th>
                <th class="hide-narrow">{t("members:columns.invitedBy")}</th>
                <th>{t("members:columns.expires")}</th>
                <th>
                  <span class="sr-only">{t("members:columns.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((inv) => (
                <tr id={`invitation-${inv.id}`}>
                  <td data-label="" safe>
                    {inv.email}
                  </td>
                  <td data-label={tText("members:columns.role")}>
                    <Badge tone={roleTone(inv.role)}>
                      <span>{t(`members:roles.${inv.role}`)}</span>
                    </Badge>
                  </td>
                  <td class="hide-narrow muted small" safe>
                    {inv.invitedByEmail ?? "—"}
                  </td>
                  <td data-label={tText("members:columns.expires")}>
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
                        hx-confirm={tText("members:invitations.revokeConfirm", { email: inv.email })}
                      >
                        <CsrfField token={csrfToken} />
                        <button type="submit" class="secondary">
                          {t("members:invitations.revoke")}
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
      <h1>{t("members:title")}</h1>
      {manage ? "" : <p class="muted small">{t("members:readOnly")}</p>}
      <div class="table-wrap">
        <table class="stack-table">
          <thead>
            <tr>
              <th>{t("members:columns.member")}</th>
              <th>{t("members:columns.role")}</th>
              <th class="hide-narrow">{t("members:columns.joined")}</th>
              <th>
                <span class="sr-only">{t("members:columns.actions")}</span>
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
    <AdminLayout title={tText("members:title")} admin={props.admin} csrfToken={props.csrfToken} active="members" flash={props.flash}>
      <MembersContent {...props} />
    </AdminLayout>
  );
}
