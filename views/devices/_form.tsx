import { DEVICE_KINDS } from "@/db/schema";
import type { FieldError } from "@/lib/errors";
import { API_KEY_SCOPES } from "@/features/api-keys/api-key.schema";
import { DEFAULT_DEVICE_KEY_SCOPES, DEVICE_LIMITS } from "@/features/devices/device.schema";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Field, SelectField } from "../components/ui";
import { deviceKindLabel } from "./_row";

export type DeviceFormValues = { name?: unknown; kind?: unknown; createKey?: unknown; keyScopes?: unknown };

function text(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Register-a-device form; optionally creates a key bound to the device in the same step. */
export function DeviceForm({ csrfToken, values, errors }: { csrfToken: string; values?: DeviceFormValues; errors?: FieldError[] }) {
  // First render: the default key scopes are pre-checked; a re-render keeps what was submitted.
  const scopes: string[] = values
    ? typeof values.keyScopes === "string"
      ? [values.keyScopes]
      : Array.isArray(values.keyScopes)
        ? values.keyScopes.filter((s): s is string => typeof s === "string")
        : []
    : [...DEFAULT_DEVICE_KEY_SCOPES];
  const createKey = values ? values.createKey === "on" || values.createKey === "true" : true;
  // A bad checkbox value is reported per element ("keyScopes.0"); show it on the group.
  const scopeError = errors?.find((e) => e.path === "keyScopes" || e.path.startsWith("keyScopes."))?.message;
  return (
    <form method="post" action="/devices" hx-post="/devices" hx-target="#devices" hx-swap="outerHTML" class="card" id="device-form">
      <h2>{t("devices:form.title")}</h2>
      <CsrfField token={csrfToken} />
      <div class="grid">
        <Field
          label={tText("devices:form.name")}
          name="name"
          value={text(values?.name)}
          errors={errors}
          required
          maxlength={DEVICE_LIMITS.nameMax}
          placeholder={tText("devices:form.namePlaceholder")}
        />
        <SelectField
          label={tText("devices:form.kind")}
          name="kind"
          value={text(values?.kind) ?? "server"}
          errors={errors}
          options={DEVICE_KINDS.map((kind) => ({ value: kind, label: deviceKindLabel(kind) }))}
        />
      </div>
      <label class="row">
        <input type="checkbox" name="createKey" value="on" checked={createKey} />
        {t("devices:form.createKey")}
      </label>
      <details class={scopeError ? "field has-error" : "field"} open={!!scopeError}>
        <summary class="small">{t("devices:form.keyScopes")}</summary>
        <div class="grid scope-grid">
          {API_KEY_SCOPES.map((scope) => (
            <label class="row">
              <input type="checkbox" name="keyScopes" value={scope} checked={scopes.includes(scope)} />
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
      </details>
      <button type="submit">{t("devices:form.submit")}</button>
    </form>
  );
}
