import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { ORGANIZATION_NAME_MAX } from "@/features/organizations/organization.schema";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, Field, Time } from "../components/ui";

/**
 * @kitajs/html only escapes `"` in attribute values; escaping fully keeps raw markup out of the page
 * and round-trips values such as `&lt;` exactly.
 */
const attr = (value: string) => Html.escapeHtml(value);

type Props = {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  canEdit: boolean;
  values?: { name?: string };
  errors?: FieldError[];
  /** Why the two-factor requirement could not be changed (422 re-render). */
  securityError?: string;
};

export function SettingsPage({ admin, csrfToken, flash, canEdit, values, errors, securityError }: Props) {
  const org = admin.organization;
  return (
    <AdminLayout title="Settings" admin={admin} csrfToken={csrfToken} active="settings" flash={flash}>
      <h1>Settings</h1>
      <section class="card settings-card">
        <h2>Organization</h2>
        {canEdit ? (
          <form method="post" action="/settings" id="settings-form">
            <CsrfField token={csrfToken} />
            <Field label="Name" name="name" value={attr(values?.name ?? org.name)} errors={errors} required maxlength={ORGANIZATION_NAME_MAX} autocomplete="organization" />
            <button type="submit">Save</button>
          </form>
        ) : (
          <p>
            <strong>Name: </strong>
            <span safe>{org.name}</span>
            <br />
            <span class="muted small">Only admins and owners can rename the organization.</span>
          </p>
        )}
      </section>
      <SecuritySettings admin={admin} csrfToken={csrfToken} canEdit={canEdit} error={securityError} />
      <section class="card settings-card">
        <h2>Plan and limits</h2>
        <dl class="kv">
          <dt>Slug</dt>
          <dd>
            <code safe>{org.slug}</code>
          </dd>
          <dt>Plan</dt>
          <dd>
            <Badge tone="ok">
              <span safe>{org.plan}</span>
            </Badge>
          </dd>
          <dt>Max instances</dt>
          <dd safe>{String(org.maxInstances)}</dd>
          <dt>Messages per day</dt>
          <dd safe>{String(org.maxMessagesPerDay)}</dd>
          <dt>API requests per minute</dt>
          <dd safe>{String(org.apiRequestsPerMinute)}</dd>
          <dt>Created</dt>
          <dd>
            <Time at={org.createdAt} />
          </dd>
          <dt>Your role</dt>
          <dd>{admin.role}</dd>
        </dl>
        <p class="muted small">Limits come from the plan; API keys and instances can lower them individually.</p>
      </section>
    </AdminLayout>
  );
}

/** Organization-wide sign-in rules: two-factor for admins and owners. */
function SecuritySettings({ admin, csrfToken, canEdit, error }: { admin: AdminContext; csrfToken: string; canEdit: boolean; error?: string }) {
  const required = admin.organization.requireTwoFactor;
  return (
    <section class="card settings-card" id="security">
      <h2>Security</h2>
      {error ? (
        <p class="flash flash-error" role="alert" safe>
          {error}
        </p>
      ) : (
        ""
      )}
      {canEdit ? (
        <form method="post" action="/settings/security" id="security-form">
          <CsrfField token={csrfToken} />
          <label class="check">
            <input type="checkbox" name="requireTwoFactor" value="on" checked={required} />
            <span>Require two-factor authentication for admins and owners</span>
          </label>
          <p class="muted small">
            Admins and owners without it are sent to set it up before they can use this organization.
            {admin.user.totpEnabledAt ? "" : " Turn it on for your own account first, on your account page."}
          </p>
          <button type="submit">Save</button>
        </form>
      ) : (
        <p>{required ? "Admins and owners must use two-factor authentication." : "Two-factor authentication is optional for everyone."}</p>
      )}
    </section>
  );
}
