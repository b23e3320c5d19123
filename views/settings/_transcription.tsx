import Html from "@kitajs/html";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { TRANSCRIPTION_LIMITS } from "@/features/transcription/transcription.schema";
import type { TranscriptionSettingsView } from "@/features/transcription/transcription.settings";
import { CsrfField, Field } from "../components/ui";

/** What the form shows after a refused save: the values as typed (never the key). */
export type TranscriptionFormValues = { enabled?: boolean; baseUrl?: string; model?: string };

/**
 * The organization's voice transcription: on/off, endpoint, key and model (empty = the platform's
 * TRANSCRIBE_* defaults). The key is write-only: the page says whether one is saved, never shows it.
 */
export function TranscriptionSettings({
  settings,
  csrfToken,
  canEdit,
  values,
  errors,
}: {
  settings: TranscriptionSettingsView;
  csrfToken: string;
  canEdit: boolean;
  values?: TranscriptionFormValues;
  errors?: FieldError[];
}) {
  const enabled = values?.enabled ?? settings.enabled;
  return (
    <section class="card settings-card" id="transcription">
      <h2>{t("transcription:settings.title")}</h2>
      <p class="muted small">{t("transcription:settings.explain")}</p>
      {canEdit ? (
        <form method="post" action="/settings/transcription" id="transcription-form">
          <CsrfField token={csrfToken} />
          <label class="check">
            <input type="checkbox" name="enabled" value="on" checked={enabled} />
            <span>{t("transcription:settings.enabled")}</span>
          </label>
          <Field
            label={tText("transcription:settings.baseUrl")}
            name="baseUrl"
            type="url"
            value={Html.escapeHtml(values?.baseUrl ?? settings.baseUrl ?? "")}
            errors={errors}
            maxlength={TRANSCRIPTION_LIMITS.baseUrl}
            placeholder={Html.escapeHtml(settings.platform.baseUrl)}
            hint={tText("transcription:settings.baseUrlHint", { url: settings.platform.baseUrl })}
          />
          <Field
            label={tText("transcription:settings.apiKey")}
            name="apiKey"
            type="password"
            errors={errors}
            maxlength={TRANSCRIPTION_LIMITS.apiKey}
            autocomplete="off"
            hint={tText("transcription:settings.apiKeyHint")}
          />
          <p class="muted small">
            {t(settings.hasApiKey ? "transcription:settings.apiKeySaved" : "transcription:settings.apiKeyNone")}
            {settings.platform.hasKey ? <span> {t("transcription:settings.operatorKey")}</span> : ""}
            {!settings.platform.hasKey && !settings.hasApiKey ? <span> {t("transcription:settings.noKeyAnywhere")}</span> : ""}
          </p>
          {settings.hasApiKey ? (
            <label class="check">
              <input type="checkbox" name="removeApiKey" value="on" />
              <span>{t("transcription:settings.removeApiKey")}</span>
            </label>
          ) : (
            ""
          )}
          <Field
            label={tText("transcription:settings.model")}
            name="model"
            value={Html.escapeHtml(values?.model ?? settings.model ?? "")}
            errors={errors}
            maxlength={TRANSCRIPTION_LIMITS.model}
            placeholder={Html.escapeHtml(settings.platform.model)}
            hint={tText("transcription:settings.modelHint", { model: settings.platform.model })}
          />
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <p>
          {t(settings.enabled ? "transcription:settings.on" : "transcription:settings.off")}
          <br />
          <span class="muted small">{t("transcription:settings.readOnly")}</span>
        </p>
      )}
    </section>
  );
}
