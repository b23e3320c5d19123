import type { AdminContext } from "@/auth/plugin";
import { EVENT_TYPES } from "@/features/events/event.schema";
import { ENDPOINT_KINDS, MASKED_HEADER_VALUE, SINK_DEFAULTS, WEBHOOK_LIMITS } from "@/features/webhooks/webhook.schema";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, Field } from "../components/ui";

/** What the form posts (and gets back on a 422): strings, or arrays for the checkbox groups. */
export type WebhookFormValues = {
  kind?: string;
  url?: string;
  exchange?: string;
  stream?: string;
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
  kindLocked,
}: {
  csrfToken: string;
  action: string;
  values: WebhookFormValues;
  errors?: FieldError[];
  instances: { id: string; name: string }[];
  submitLabel: string;
  /** Editing: the kind was chosen at creation and is shown, not posted. */
  kindLocked?: boolean;
}) {
  const kind = values.kind ?? "webhook";
  const kindError = groupError(errors, "kind");
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
      {errors?.length &&
      !errors.some((e) => ["url", "name", "kind", "exchange", "stream"].includes(e.path) || /^(eventTypes|instanceIds|headers)/.test(e.path)) ? (
        <p class="error" safe>
          {errors[0]!.message}
        </p>
      ) : (
        ""
      )}
      <div class={kindError ? "field has-error" : "field"}>
        <label for="f-kind">{t("webhooks:form.kind")}</label>
        <select id="f-kind" name="kind" disabled={kindLocked} aria-invalid={kindError ? "true" : undefined}>
          {ENDPOINT_KINDS.map((k) => (
            <option value={k} selected={k === kind}>
              {t(`webhooks:kind.${k}`)}
            </option>
          ))}
        </select>
        <small class="hint">{t("webhooks:form.kindHint")}</small>
        {kindError ? (
          <small class="error" safe>
            {kindError}
          </small>
        ) : (
          ""
        )}
      </div>
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
      {!kindLocked || kind === "rabbitmq" ? (
        <Field
          label={tText("webhooks:form.exchange")}
          name="exchange"
          value={values.exchange}
          errors={errors}
          maxlength={WEBHOOK_LIMITS.sinkNameMax}
          placeholder={SINK_DEFAULTS.exchange}
          hint={tText("webhooks:form.exchangeHint")}
        />
      ) : (
        ""
      )}
      {!kindLocked || kind === "nats" ? (
        <Field
          label={tText("webhooks:form.stream")}
          name="stream"
          value={values.stream}
          errors={errors}
          maxlength={WEBHOOK_LIMITS.sinkNameMax}
          hint={tText("webhooks:form.streamHint")}
        />
      ) : (
        ""
      )}
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
  kindLocked?: boolean;
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
        kindLocked={props.kindLocked}
      />
    </AdminLayout>
  );
}
