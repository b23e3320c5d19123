import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { ORGANIZATION_NAME_MAX } from "@/features/organizations/organization.schema";
import { AdminLayout } from "../layouts/admin";
import { PublicLayout } from "../layouts/public";
import { CsrfField, Field } from "../components/ui";

type Props = {
  csrfToken: string;
  /** Present when the user already has an organization: the page then keeps the admin shell. */
  admin?: AdminContext;
  next: string;
  values?: { name?: string };
  errors?: FieldError[];
};

export function NewOrganizationForm({ csrfToken, next, values, errors }: Props) {
  return (
    <form method="post" action="/organizations/new" class="card" id="org-new-form">
      <CsrfField token={csrfToken} />
      <input type="hidden" name="next" value={next} />
      <Field label="Organization name" name="name" value={values?.name === undefined ? undefined : Html.escapeHtml(values.name)} errors={errors} required maxlength={ORGANIZATION_NAME_MAX} placeholder="Acme Support" autocomplete="organization" hint="You can rename it later in Settings." />
      <button type="submit">Create organization</button>
    </form>
  );
}

export function NewOrganizationPage(props: Props) {
  const body = (
    <>
      <h1>New organization</h1>
      <p class="muted">An organization holds instances, API keys, webhooks and members. You will be its owner.</p>
      <NewOrganizationForm {...props} />
    </>
  );
  if (props.admin) {
    return (
      <AdminLayout title="New organization" admin={props.admin} csrfToken={props.csrfToken}>
        {body}
      </AdminLayout>
    );
  }
  return (
    <PublicLayout title="New organization" csrfToken={props.csrfToken}>
      {body}
    </PublicLayout>
  );
}
