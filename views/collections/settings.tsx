import type { AdminContext } from "@/auth/plugin";
import { PAYMENT_METHODS } from "@/db/schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Field } from "../components/ui";
import { CollectionsTabs } from "./_tabs";

export type SettingsFormValues = { remindersEnabled: boolean; reminderDaysBefore: string; promiseMaxDays: string; allowedMethods: string[] };

export function SettingsForm(props: { values: SettingsFormValues; errors?: FieldError[] }) {
  const v = props.values;
  const methodsError = props.errors?.find((e) => e.path.startsWith("allowedMethods"));
  return (
    <form
      id="collection-settings"
      class="card"
      method="post"
      action="/collections/settings"
      hx-post="/collections/settings"
      hx-target="#collection-settings"
      hx-swap="outerHTML"
    >
      <label class="check">
        <input type="hidden" name="remindersEnabled" value="false" />
        <input type="checkbox" name="remindersEnabled" value="true" checked={v.remindersEnabled} /> {t("collections:settings.remindersEnabled")}
      </label>
      <Field
        label={tText("collections:settings.reminderDaysBefore")}
        name="reminderDaysBefore"
        type="number"
        value={v.reminderDaysBefore}
        errors={props.errors}
        hint={tText("collections:settings.reminderHint")}
      />
      <Field
        label={tText("collections:settings.promiseMaxDays")}
        name="promiseMaxDays"
        type="number"
        value={v.promiseMaxDays}
        errors={props.errors}
        hint={tText("collections:settings.promiseMaxDaysHint")}
      />
      <fieldset class={methodsError ? "field has-error" : "field"}>
        <legend>{t("collections:settings.allowedMethods")}</legend>
        {PAYMENT_METHODS.map((m) => (
          <label class="check">
            <input type="checkbox" name="allowedMethods" value={m} checked={v.allowedMethods.includes(m)} /> {t(`collections:methods.${m}`)}
          </label>
        ))}
        {methodsError ? (
          <small class="error" safe>
            {methodsError.message}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <button type="submit">{t("collections:settings.save")}</button>
    </form>
  );
}

export function SettingsPage(props: { admin: AdminContext; csrfToken: string; flash?: Flash; values: SettingsFormValues }) {
  return (
    <AdminLayout title={tText("collections:settings.title")} admin={props.admin} csrfToken={props.csrfToken} active="collections" flash={props.flash}>
      <CollectionsTabs active="settings" />
      <h1>{t("collections:settings.title")}</h1>
      <p class="muted">{t("collections:settings.intro")}</p>
      <SettingsForm values={props.values} />
    </AdminLayout>
  );
}
