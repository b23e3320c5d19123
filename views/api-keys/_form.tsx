import type { FieldError } from "@/lib/errors";
import { API_KEY_LIMITS, API_KEY_SCOPES, type ApiKeyFormValues } from "@/features/api-keys/api-key.schema";
import { CsrfField, Field, SelectField } from "../components/ui";

export type BindingOptions = { instances: { id: string; name: string }[]; devices: { id: string; name: string }[] };

function text(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function checkedScopes(v: unknown): string[] {
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

/** Create-key form; re-rendered with `errors` (422) and the submitted `values`. */
export function ApiKeyForm({
  csrfToken,
  options,
  values = {},
  errors,
}: {
  csrfToken: string;
  options: BindingOptions;
  values?: ApiKeyFormValues;
  errors?: FieldError[];
}) {
  const scopes = checkedScopes(values.scopes);
  // A bad checkbox value is reported per element ("scopes.0"); show it on the group.
  const scopeError = errors?.find((e) => e.path === "scopes" || e.path.startsWith("scopes."))?.message;
  return (
    <form method="post" action="/api-keys" hx-post="/api-keys" hx-target="#api-keys" hx-swap="outerHTML" class="card" id="api-key-form">
      <h2>Create an API key</h2>
      <CsrfField token={csrfToken} />
      <Field label="Name" name="name" value={text(values.name)} errors={errors} required maxlength={API_KEY_LIMITS.nameMax} placeholder="CRM integration" />
      <fieldset class={scopeError ? "field has-error" : "field"}>
        <legend>Scopes (* = everything, including scopes added later)</legend>
        <div class="grid scope-grid">
          {API_KEY_SCOPES.map((scope) => (
            <label class="row">
              <input type="checkbox" name="scopes" value={scope} checked={scopes.includes(scope)} />
              <code>{scope}</code>
            </label>
          ))}
        </div>
        {scopeError ? <small class="error" safe>{scopeError}</small> : ""}
      </fieldset>
      <div class="grid">
        <SelectField
          label="Instance"
          name="instanceId"
          value={text(values.instanceId) ?? ""}
          errors={errors}
          options={[{ value: "", label: "All instances" }, ...options.instances.map((i) => ({ value: i.id, label: i.name }))]}
        />
        <SelectField
          label="Device"
          name="deviceId"
          value={text(values.deviceId) ?? ""}
          errors={errors}
          options={[{ value: "", label: "No device" }, ...options.devices.map((d) => ({ value: d.id, label: d.name }))]}
        />
        <Field label="Expires (UTC, end of day)" name="expiresAt" type="date" value={text(values.expiresAt)} errors={errors} hint="Leave empty for a key that never expires" />
        <Field
          label="Requests per minute"
          name="requestsPerMinute"
          type="number"
          value={text(values.requestsPerMinute)}
          errors={errors}
          hint="Empty = the organization's plan"
        />
        <Field
          label="Messages per day"
          name="maxMessagesPerDay"
          type="number"
          value={text(values.maxMessagesPerDay)}
          errors={errors}
          hint="Empty = instance or plan limit"
        />
      </div>
      <button type="submit">Create key</button>
    </form>
  );
}
