import type { FieldError } from "@/lib/errors";
import { API_KEY_LIMITS, API_KEY_SCOPES, type ApiKeyFormValues } from "@/features/api-keys/api-key.schema";
import { currentTimeZone, t, tText } from "@/lib/i18n";
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
      <h2>{t("api-keys:form.title")}</h2>
      <CsrfField token={csrfToken} />
      <Field
        label={tText("api-keys:form.name")}
        name="name"
        value={text(values.name)}
        errors={errors}
        required
        maxlength={API_KEY_LIMITS.nameMax}
        placeholder={tText("api-keys:form.namePlaceholder")}
      />
      <fieldset class={scopeError ? "field has-error" : "field"}>
        <legend>{t("api-keys:form.scopes")}</legend>
        <div class="grid scope-grid">
          {API_KEY_SCOPES.map((scope) => (
            <label class="row">
              <input type="checkbox" name="scopes" value={scope} checked={scopes.includes(scope)} />
              <code>{scope}</code>
            </label>
          ))}
        </div>
        {scopeError ? (
          <small class="error" safe>
            {scopeError}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <div class="grid">
        <SelectField
          label={tText("api-keys:form.instance")}
          name="instanceId"
          value={text(values.instanceId) ?? ""}
          errors={errors}
          options={[{ value: "", label: tText("api-keys:form.allInstances") }, ...options.instances.map((i) => ({ value: i.id, label: i.name }))]}
        />
        <SelectField
          label={tText("api-keys:form.device")}
          name="deviceId"
          value={text(values.deviceId) ?? ""}
          errors={errors}
          options={[{ value: "", label: tText("api-keys:form.noDevice") }, ...options.devices.map((d) => ({ value: d.id, label: d.name }))]}
        />
        <Field
          label={tText("api-keys:form.expires", { zone: currentTimeZone() })}
          name="expiresAt"
          type="date"
          value={text(values.expiresAt)}
          errors={errors}
          hint={tText("api-keys:form.expiresHint")}
        />
        <Field
          label={tText("api-keys:form.requestsPerMinute")}
          name="requestsPerMinute"
          type="number"
          value={text(values.requestsPerMinute)}
          errors={errors}
          hint={tText("api-keys:form.requestsPerMinuteHint")}
        />
        <Field
          label={tText("api-keys:form.messagesPerDay")}
          name="maxMessagesPerDay"
          type="number"
          value={text(values.maxMessagesPerDay)}
          errors={errors}
          hint={tText("api-keys:form.messagesPerDayHint")}
        />
      </div>
      <button type="submit">{t("api-keys:form.submit")}</button>
    </form>
  );
}
