import type { AdminContext } from "@/auth/plugin";
import { EVENT_TYPES } from "@/features/events/event.schema";
import { MASKED_HEADER_VALUE, WEBHOOK_LIMITS } from "@/features/webhooks/webhook.schema";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, Field } from "../components/ui";

/** What the form posts (and gets back on a 422): strings, or arrays for the checkbox groups. */
export type WebhookFormValues = {
  url?: string;
  name?: string;
  eventTypes?: string[];
  instanceIds?: string[];
  headers?: string;
};

/** First error whose path is `name` or inside it (`headers.X-Foo`, `eventTypes.0`). */
function groupError(errors: FieldError[] | undefined, name: string): string | undefined {
  return errors?.find((e) => e.path === name || e.path.startsWith(`${name}.`))?.message;
}

export function WebhookForm({
  csrfToken,
  action,
  values,
  errors,
  instances,
  submitLabel,
}: {
  csrfToken: string;
  action: string;
  values: WebhookFormValues;
  errors?: FieldError[];
  instances: { id: string; name: string }[];
  submitLabel: string;
}) {
  const types = new Set(values.eventTypes ?? []);
  const chosenInstances = new Set(values.instanceIds ?? []);
  const typesError = groupError(errors, "eventTypes");
  const instancesError = groupError(errors, "instanceIds");
  // Several header lines can be wrong at once; show every message.
  const headersError =
    errors
      ?.filter((e) => e.path === "headers" || e.path.startsWith("headers."))
      .map((e) => e.message)
      .join("; ") || undefined;
  return (
    <form method="post" action={action} class="card" id="webhook-form">
      <CsrfField token={csrfToken} />
      {errors?.length && !errors.some((e) => ["url", "name"].includes(e.path) || /^(eventTypes|instanceIds|headers)/.test(e.path)) ? (
        <p class="error" safe>
          {errors[0]!.message}
        </p>
      ) : (
        ""
      )}
      <Field
        label={tText("webhooks:form.url")}
        name="url"
        type="url"
        value={values.url}
        errors={errors}
        required
        maxlength={WEBHOOK_LIMITS.urlMax}
        placeholder={tText("webhooks:form.urlPlaceholder")}
        hint={tText("webhooks:form.urlHint")}
      />
      <Field
        label={tText("webhooks:form.name")}
        name="name"
        value={values.name}
        errors={errors}
        maxlength={WEBHOOK_LIMITS.nameMax}
        placeholder={tText("webhooks:form.namePlaceholder")}
      />
      <fieldset class={typesError ? "field has-error" : "field"}>
        <legend>{t("webhooks:form.eventTypes")}</legend>
        <small class="hint">{t("webhooks:form.eventTypesHint")}</small>
        <div class="grid scope-grid">
          {EVENT_TYPES.map((type) => (
            <label class="row">
              <input type="checkbox" name="eventTypes" value={type} checked={types.has(type)} />
              <code>{type}</code>
            </label>
          ))}
        </div>
        {typesError ? (
          <small class="error" safe>
            {typesError}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <fieldset class={instancesError ? "field has-error" : "field"}>
        <legend>{t("webhooks:form.instances")}</legend>
        <small class="hint">{t("webhooks:form.instancesHint")}</small>
        {instances.length === 0 ? (
          <small class="muted">{t("webhooks:form.noInstances")}</small>
        ) : (
          <div class="grid scope-grid">
            {instances.map((i) => (
              <label class="row">
                <input type="checkbox" name="instanceIds" value={i.id} checked={chosenInstances.has(i.id)} />
                <span safe>{i.name}</span>
              </label>
            ))}
          </div>
        )}
        {instancesError ? (
          <small class="error" safe>
            {instancesError}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <div class={headersError ? "field has-error" : "field"}>
        <label for="f-headers">{t("webhooks:form.headers")}</label>
        <textarea
          id="f-headers"
          name="headers"
          rows="3"
          placeholder={tText("webhooks:form.headersPlaceholder")}
          aria-invalid={headersError ? "true" : undefined}
          safe
        >
          {values.headers ?? ""}
        </textarea>
        <small class="hint">{t("webhooks:form.headersHint", { max: WEBHOOK_LIMITS.headersMax, mask: MASKED_HEADER_VALUE })}</small>
        {headersError ? (
          <small class="error" safe>
            {headersError}
          </small>
        ) : (
          ""
        )}
      </div>
      <button type="submit" safe>
        {submitLabel}
      </button>
    </form>
  );
}

export function WebhookFormPage(props: {
  admin: AdminContext;
  csrfToken: string;
  title: string;
  action: string;
  values: WebhookFormValues;
  errors?: FieldError[];
  instances: { id: string; name: string }[];
  submitLabel: string;
  backHref: string;
}) {
  return (
    <AdminLayout title={props.title} admin={props.admin} csrfToken={props.csrfToken} active="webhooks">
      <p class="small">
        <a href={props.backHref}>{t("webhooks:form.back")}</a>
      </p>
      <h1 safe>{props.title}</h1>
      <WebhookForm
        csrfToken={props.csrfToken}
        action={props.action}
        values={props.values}
        errors={props.errors}
        instances={props.instances}
        submitLabel={props.submitLabel}
      />
    </AdminLayout>
  );
}
