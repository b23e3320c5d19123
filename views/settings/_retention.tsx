import Html from "@kitajs/html";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import type { RetentionSettings } from "@/features/retention/retention.schema";
import { CsrfField, Field } from "../components/ui";

/** Typed values come back on a 422: escaped fully (@kitajs/html escapes only `"` in attributes). */
const attr = (value: string) => Html.escapeHtml(value);

/** The retention section: the saved settings, and the form's typed values and errors on a 422 re-render. */
export type RetentionView = {
  settings: RetentionSettings;
  values?: { eventsDays?: string; deliveriesDays?: string; messagesDays?: string };
  errors?: FieldError[];
};

/** How long the organization keeps events, the webhook delivery log and messages (src/features/retention). */
export function RetentionSettingsSection({ view, csrfToken, canEdit }: { view: RetentionView; csrfToken: string; canEdit: boolean }) {
  const { settings, values, errors } = view;
  return (
    <section class="card settings-card" id="retention">
      <h2>{t("retention:title")}</h2>
      <p class="muted small">{t("retention:explain")}</p>
      {canEdit ? (
        <form method="post" action="/settings/retention" id="retention-form">
          <CsrfField token={csrfToken} />
          <Field
            label={tText("retention:eventsDays")}
            name="eventsDays"
            type="number"
            required
            value={attr(values?.eventsDays ?? String(settings.eventsDays))}
            errors={errors}
          />
          <Field
            label={tText("retention:deliveriesDays")}
            name="deliveriesDays"
            type="number"
            required
            value={attr(values?.deliveriesDays ?? String(settings.deliveriesDays))}
            errors={errors}
          />
          <Field
            label={tText("retention:messagesDays")}
            name="messagesDays"
            type="number"
            hint={tText("retention:messagesHint")}
            value={attr(values?.messagesDays ?? (settings.messagesDays === null ? "" : String(settings.messagesDays)))}
            errors={errors}
          />
          <p class="muted small">{t("retention:changeNote")}</p>
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <ul>
          <li>{t("retention:current.events", { count: settings.eventsDays })}</li>
          <li>{t("retention:current.deliveries", { count: settings.deliveriesDays })}</li>
          <li>{settings.messagesDays === null ? t("retention:current.messagesKept") : t("retention:current.messages", { count: settings.messagesDays })}</li>
        </ul>
      )}
    </section>
  );
}
