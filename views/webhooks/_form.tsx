import type { AdminContext } from "@/auth/plugin";
import { EVENT_TYPES } from "@/features/events/event.service";
import { MASKED_HEADER_VALUE, WEBHOOK_LIMITS } from "@/features/webhooks/webhook.schema";
import type { FieldError } from "@/lib/errors";
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
        label="Endpoint URL"
        name="url"
        type="url"
        value={values.url}
        errors={errors}
        required
        maxlength={WEBHOOK_LIMITS.urlMax}
        placeholder="https://example.com/hooks/livchat"
        hint="http or https; must resolve to a public address."
      />
      <Field label="Name" name="name" value={values.name} errors={errors} maxlength={WEBHOOK_LIMITS.nameMax} placeholder="CRM sync" />
      <fieldset class={typesError ? "field has-error" : "field"}>
        <legend>Event types</legend>
        <small class="hint">Leave all unchecked to receive every event type, including ones added later.</small>
        <div class="grid scope-grid">
          {EVENT_TYPES.map((type) => (
            <label class="row">
              <input type="checkbox" name="eventTypes" value={type} checked={types.has(type)} />
              <code>{type}</code>
            </label>
          ))}
        </div>
        {typesError ? <small class="error" safe>{typesError}</small> : ""}
      </fieldset>
      <fieldset class={instancesError ? "field has-error" : "field"}>
        <legend>Instances</legend>
        <small class="hint">Leave all unchecked for every instance of the organization.</small>
        {instances.length === 0 ? (
          <small class="muted">No instances yet.</small>
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
        {instancesError ? <small class="error" safe>{instancesError}</small> : ""}
      </fieldset>
      <div class={headersError ? "field has-error" : "field"}>
        <label for="f-headers">Custom headers</label>
        <textarea id="f-headers" name="headers" rows="3" placeholder="Authorization: Bearer …" aria-invalid={headersError ? "true" : undefined} safe>
          {values.headers ?? ""}
        </textarea>
        <small class="hint" safe>{`One "Name: value" per line, at most ${WEBHOOK_LIMITS.headersMax}. Hop-by-hop and webhook-* headers are not allowed. Saved values are stored encrypted and shown as ${MASKED_HEADER_VALUE}; leave ${MASKED_HEADER_VALUE} to keep a value.`}</small>
        {headersError ? <small class="error" safe>{headersError}</small> : ""}
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
        <a href={props.backHref}>← Back</a>
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
