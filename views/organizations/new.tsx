import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { ORGANIZATION_LANGUAGES, ORGANIZATION_NAME_MAX } from "@/features/organizations/organization.schema";
import { AdminLayout } from "../layouts/admin";
import { PublicLayout } from "../layouts/public";
import { CsrfField, Field, SelectField } from "../components/ui";

type Props = {
  csrfToken: string;
  /** Present when the user already has an organization: the page then keeps the admin shell. */
  admin?: AdminContext;
  next: string;
  values?: { name?: string; language?: string };
  errors?: FieldError[];
};

/** The organization languages as select options, each named in its own language. */
export const languageOptions = () => ORGANIZATION_LANGUAGES.map((value) => ({ value, label: tText(`organizations:languages.${value}`) }));

export function NewOrganizationForm({ csrfToken, next, values, errors }: Props) {
  return (
    <form method="post" action="/organizations/new" class="card" id="org-new-form">
      <CsrfField token={csrfToken} />
      <input type="hidden" name="next" value={next} />
      <Field
        label={tText("organizations:new.name")}
        name="name"
        value={values?.name === undefined ? undefined : Html.escapeHtml(values.name)}
        errors={errors}
        required
        maxlength={ORGANIZATION_NAME_MAX}
        placeholder={tText("organizations:new.namePlaceholder")}
        autocomplete="organization"
        hint={tText("organizations:new.nameHint")}
      />
      <SelectField label={tText("organizations:new.language")} name="language" options={languageOptions()} value={values?.language} errors={errors} />
      <p class="muted small">{t("organizations:new.languageHint")}</p>
      <button type="submit">{t("organizations:new.submit")}</button>
    </form>
  );
}

export function NewOrganizationPage(props: Props) {
  const body = (
    <>
      <h1>{t("organizations:new.title")}</h1>
      <p class="muted">{t("organizations:new.intro")}</p>
      <NewOrganizationForm {...props} />
    </>
  );
  if (props.admin) {
    return (
      <AdminLayout title={tText("organizations:new.title")} admin={props.admin} csrfToken={props.csrfToken}>
        {body}
      </AdminLayout>
    );
  }
  return (
    <PublicLayout title={tText("organizations:new.title")} csrfToken={props.csrfToken}>
      {body}
    </PublicLayout>
  );
}
