import type { AdminContext } from "@/auth/plugin";
import type { PlatformUser } from "@/features/auth/platform-users.service";
import type { Flash } from "@/lib/flash";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Time } from "../components/ui";
import { PlatformTabs } from "../registrations/_tabs";

export type PlatformUsersProps = {
  admin: AdminContext;
  csrfToken: string;
  q: string;
  users: PlatformUser[];
  /** Email goes out through SMTP: users reset passwords themselves. */
  canEmail: boolean;
  /** A reset link just created: shown this once (only its hash is stored). */
  resetLink?: { email: string; url: string };
  flash?: Flash;
};

/** Every account of the install, with a password reset link for installs that cannot send email. */
export function PlatformUsersPage(p: PlatformUsersProps) {
  return (
    <AdminLayout title="Users" admin={p.admin} csrfToken={p.csrfToken} active="platform" flash={p.flash}>
      <h1>Users</h1>
      <PlatformTabs active="users" />
      {p.resetLink ? (
        <div class="card" role="status" data-reset-link>
          <p>
            Password reset link for <strong safe>{p.resetLink.email}</strong> (works once, expires in 1 hour, shown only now):
          </p>
          <div class="secret" id="reset-link" safe>
            {p.resetLink.url}
          </div>
          <button type="button" class="secondary" data-copy="#reset-link">
            Copy
          </button>
        </div>
      ) : (
        ""
      )}
      <p class="muted small">
        {p.canEmail
          ? "People reset their own password by email (“Forgot your password?” on the sign-in page)."
          : "This server cannot send email: create a reset link here and give it to the person yourself."}
      </p>
      <form method="get" action="/platform/users" style="display:flex;gap:.5rem;margin-bottom:1rem">
        <label class="sr-only" for="user-q">
          Email
        </label>
        <input id="user-q" name="q" type="search" value={p.q} maxlength={254} placeholder="Search by email" />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      {p.users.length === 0 ? (
        <EmptyState>No account matches.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>Email</th>
                <th>Name</th>
                <th>Last sign-in</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.users.map((u) => (
                <tr id={`user-${u.id}`}>
                  <td data-label="">
                    <span safe>{u.email}</span> {u.isPlatformAdmin ? <Badge tone="warn">platform admin</Badge> : ""}
                    {u.emailVerifiedAt ? "" : <Badge tone="muted">unconfirmed</Badge>}
                  </td>
                  <td data-label="Name" safe>
                    {u.name}
                  </td>
                  <td data-label="Last sign-in">
                    <Time at={u.lastLoginAt} />
                  </td>
                  <td class="actions">
                    <form method="post" action={`/platform/users/${u.id}/reset-link`}>
                      <CsrfField token={p.csrfToken} />
                      <button type="submit" class="secondary">
                        Create reset link
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminLayout>
  );
}
