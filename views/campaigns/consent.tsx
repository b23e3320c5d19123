import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { fieldError } from "@/lib/forms";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { CsrfField } from "../components/ui";

export type ConsentFormValues = { optOutKeywords: string; optInKeywords: string; optOutReply: string; optInReply: string };

function Area(props: { name: keyof ConsentFormValues; label: string; value: string; errors?: FieldError[]; placeholder?: string }) {
  const error = fieldError(props.errors, props.name) ?? props.errors?.find((e) => e.path.startsWith(`${props.name}.`))?.message;
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${props.name}`} safe>
        {props.label}
      </label>
      <textarea
        id={`f-${props.name}`}
        name={props.name}
        rows="3"
        placeholder={props.placeholder}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `f-${props.name}-error` : undefined}
        safe
      >
        {props.value}
      </textarea>
      {error ? (
        <small class="error" id={`f-${props.name}-error`} safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

/** The organization's own opt-out/opt-in keywords and the confirmations a keyword gets. */
export function ConsentSettingsPage(props: { admin: AdminContext; csrfToken: string; flash?: Flash; values: ConsentFormValues; errors?: FieldError[] }) {
  const v = props.values;
  return (
    <AdminLayout title={tText("campaigns:consent.title")} admin={props.admin} csrfToken={props.csrfToken} active="campaigns" flash={props.flash}>
      <p>
        <a href="/campaigns">{t("campaigns:back")}</a>
      </p>
      <h1>{t("campaigns:consent.title")}</h1>
      <p class="muted">{t("campaigns:consent.intro")}</p>
      <form method="post" action="/campaigns/consent" class="card" id="consent-form">
        <CsrfField token={props.csrfToken} />
        <Area name="optOutKeywords" label={tText("campaigns:consent.optOutKeywords")} value={v.optOutKeywords} errors={props.errors} />
        <Area name="optInKeywords" label={tText("campaigns:consent.optInKeywords")} value={v.optInKeywords} errors={props.errors} />
        <Area
          name="optOutReply"
          label={tText("campaigns:consent.optOutReply")}
          value={v.optOutReply}
          errors={props.errors}
          placeholder={tText("campaigns:consent.defaultReply.opt_out")}
        />
        <Area
          name="optInReply"
          label={tText("campaigns:consent.optInReply")}
          value={v.optInReply}
          errors={props.errors}
          placeholder={tText("campaigns:consent.defaultReply.opt_in")}
        />
        <button type="submit">{t("campaigns:consent.save")}</button>
      </form>
    </AdminLayout>
  );
}
