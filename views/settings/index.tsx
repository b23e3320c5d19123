import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { currentLocale, formatNumber, hasKey, TIME_ZONES, t, tText } from "@/lib/i18n";
import { ORGANIZATION_NAME_MAX } from "@/features/organizations/organization.schema";
import { AdminLayout } from "../layouts/admin";
import { languageOptions } from "../organizations/new";
import { Badge, CsrfField, Field, SelectField, Time } from "../components/ui";
import { TranscriptionSettings, type TranscriptionFormValues } from "./_transcription";
import { MediaSettings, type MediaRetentionForm } from "./_media";
import { RetentionSettingsSection, type RetentionView } from "./_retention";
import type { TranscriptionSettingsView } from "@/features/transcription/transcription.settings";

/**
 * @kitajs/html only escapes `"` in attribute values; escaping fully keeps raw markup out of the page
 * and round-trips values such as `&lt;` exactly.
 */
const attr = (value: string) => Html.escapeHtml(value);

/** Known plans have a name in each language; any other plan shows as stored. */
const planName = (plan: string) =>
  /^[a-z_]+$/.test(plan) && hasKey(`settings:plan.names.${plan}`, currentLocale()) ? tText(`settings:plan.names.${plan}`) : plan;

type Props = {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  canEdit: boolean;
  values?: { name?: string };
  errors?: FieldError[];
  /** The language and time zone form's values and errors (422 re-render). */
  locale?: { language?: string; timeZone?: string };
  localeErrors?: FieldError[];
  /** Why the two-factor requirement could not be changed (422 re-render). */
  securityError?: string;
  /** The organization's voice transcription, and the form's values and errors (422 re-render). */
  transcription: TranscriptionSettingsView;
  transcriptionValues?: TranscriptionFormValues;
  transcriptionErrors?: FieldError[];
  /** The media retention form's values and errors (422 re-render). */
  media?: MediaRetentionForm;
  /** The organization's data retention, and the form's values and errors (422 re-render). */
  retention?: RetentionView;
};

export function SettingsPage({
  admin,
  csrfToken,
  flash,
  canEdit,
  values,
  errors,
  locale,
  localeErrors,
  securityError,
  transcription,
  transcriptionValues,
  transcriptionErrors,
  media,
  retention,
}: Props) {
  const org = admin.organization;
  return (
    <AdminLayout title={tText("settings:title")} admin={admin} csrfToken={csrfToken} active="settings" flash={flash}>
      <h1>{t("settings:title")}</h1>
      <section class="card settings-card">
        <h2>{t("settings:organization.title")}</h2>
        {canEdit ? (
          <form method="post" action="/settings" id="settings-form">
            <CsrfField token={csrfToken} />
            <Field
              label={tText("settings:organization.name")}
              name="name"
              value={attr(values?.name ?? org.name)}
              errors={errors}
              required
              maxlength={ORGANIZATION_NAME_MAX}
              autocomplete="organization"
            />
            <button type="submit">{t("common:actions.save")}</button>
          </form>
        ) : (
          <p>
            <strong>{t("settings:organization.nameLabel")}</strong>
            <span safe>{org.name}</span>
            <br />
            <span class="muted small">{t("settings:organization.readOnly")}</span>
          </p>
        )}
      </section>
      <LocaleSettings admin={admin} csrfToken={csrfToken} canEdit={canEdit} values={locale} errors={localeErrors} />
      <SecuritySettings admin={admin} csrfToken={csrfToken} canEdit={canEdit} error={securityError} />
      <GroupSettings admin={admin} csrfToken={csrfToken} canEdit={canEdit} />
      <DeletedMessageSettings admin={admin} csrfToken={csrfToken} canEdit={canEdit} />
      <InteractiveSettings admin={admin} csrfToken={csrfToken} canEdit={canEdit} />
      <MediaSettings admin={admin} csrfToken={csrfToken} canEdit={canEdit} form={media} />
      {retention ? <RetentionSettingsSection view={retention} csrfToken={csrfToken} canEdit={canEdit} /> : ""}
      <TranscriptionSettings settings={transcription} csrfToken={csrfToken} canEdit={canEdit} values={transcriptionValues} errors={transcriptionErrors} />
      <section class="card settings-card">
        <h2>{t("settings:plan.title")}</h2>
        <dl class="kv">
          <dt>{t("settings:plan.slug")}</dt>
          <dd>
            <code safe>{org.slug}</code>
          </dd>
          <dt>{t("settings:plan.plan")}</dt>
          <dd>
            <Badge tone="ok">
              <span safe>{planName(org.plan)}</span>
            </Badge>
          </dd>
          <dt>{t("settings:plan.maxInstances")}</dt>
          <dd safe>{formatNumber(org.maxInstances)}</dd>
          <dt>{t("settings:plan.messagesPerDay")}</dt>
          <dd safe>{formatNumber(org.maxMessagesPerDay)}</dd>
          <dt>{t("settings:plan.apiPerMinute")}</dt>
          <dd safe>{formatNumber(org.apiRequestsPerMinute)}</dd>
          <dt>{t("settings:plan.created")}</dt>
          <dd>
            <Time at={org.createdAt} />
          </dd>
          <dt>{t("settings:plan.yourRole")}</dt>
          <dd>{t(`common:roles.${admin.role}`)}</dd>
        </dl>
        <p class="muted small">{t("settings:plan.note")}</p>
      </section>
    </AdminLayout>
  );
}

/** The organization's default language and time zone (members without their own follow them). */
function LocaleSettings({
  admin,
  csrfToken,
  canEdit,
  values,
  errors,
}: {
  admin: AdminContext;
  csrfToken: string;
  canEdit: boolean;
  values?: { language?: string; timeZone?: string };
  errors?: FieldError[];
}) {
  const org = admin.organization;
  return (
    <section class="card settings-card" id="locale">
      <h2>{t("settings:regional.title")}</h2>
      {canEdit ? (
        <form method="post" action="/settings/locale" id="locale-form">
          <CsrfField token={csrfToken} />
          <SelectField
            label={tText("settings:regional.language")}
            name="language"
            options={languageOptions()}
            value={values?.language ?? org.language}
            errors={errors}
          />
          <SelectField
            label={tText("settings:regional.timeZone")}
            name="timeZone"
            options={TIME_ZONES}
            value={values?.timeZone ?? org.timeZone}
            errors={errors}
          />
          <p class="muted small">{t("settings:regional.hint")}</p>
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <p>
          <span safe>{tText("settings:regional.current", { language: tText(`organizations:languages.${org.language}`), timeZone: org.timeZone })}</span>
          <br />
          <span class="muted small">{t("settings:regional.readOnly")}</span>
        </p>
      )}
    </section>
  );
}

/** Whether triggers, flows and workflows answer in WhatsApp groups (off: groups are left to people). */
function GroupSettings({ admin, csrfToken, canEdit }: { admin: AdminContext; csrfToken: string; canEdit: boolean }) {
  const enabled = admin.organization.automationInGroups;
  return (
    <section class="card settings-card" id="groups">
      <h2>{t("settings:groups.title")}</h2>
      {canEdit ? (
        <form method="post" action="/settings/groups" id="groups-form">
          <CsrfField token={csrfToken} />
          <label class="check">
            <input type="checkbox" name="automationInGroups" value="on" checked={enabled} />
            <span>{t("settings:groups.automation")}</span>
          </label>
          <p class="muted small">{t("settings:groups.explain")}</p>
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <p>{t(enabled ? "settings:groups.on" : "settings:groups.off")}</p>
      )}
    </section>
  );
}

/** Whether messages deleted for everyone keep their content for the audit trail. */
function DeletedMessageSettings({ admin, csrfToken, canEdit }: { admin: AdminContext; csrfToken: string; canEdit: boolean }) {
  const keep = admin.organization.keepDeletedMessages;
  return (
    <section class="card settings-card" id="deleted-messages">
      <h2>{t("settings:deletedMessages.title")}</h2>
      {canEdit ? (
        <form method="post" action="/settings/deleted-messages" id="deleted-messages-form">
          <CsrfField token={csrfToken} />
          <label class="check">
            <input type="checkbox" name="keepDeletedMessages" value="on" checked={keep} />
            <span>{t("settings:deletedMessages.keep")}</span>
          </label>
          <p class="muted small">{t("settings:deletedMessages.explain")}</p>
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <p>{t(keep ? "settings:deletedMessages.on" : "settings:deletedMessages.off")}</p>
      )}
    </section>
  );
}

/** How buttons and lists go through WuzAPI (no official interactive messages): numbered text or native buttons. */
function InteractiveSettings({ admin, csrfToken, canEdit }: { admin: AdminContext; csrfToken: string; canEdit: boolean }) {
  const mode = admin.organization.interactiveMode;
  return (
    <section class="card settings-card" id="interactive">
      <h2>{t("settings:interactive.title")}</h2>
      {canEdit ? (
        <form method="post" action="/settings/interactive" id="interactive-form">
          <CsrfField token={csrfToken} />
          <label class="check">
            <input type="radio" name="interactiveMode" value="text" checked={mode === "text"} />
            <span>{t("settings:interactive.text")}</span>
          </label>
          <label class="check">
            <input type="radio" name="interactiveMode" value="native" checked={mode === "native"} />
            <span>{t("settings:interactive.native")}</span>
          </label>
          <p class="muted small">{t("settings:interactive.explain")}</p>
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <p>{t(mode === "native" ? "settings:interactive.native" : "settings:interactive.text")}</p>
      )}
    </section>
  );
}

/** Organization-wide sign-in rules: two-factor for admins and owners. */
function SecuritySettings({ admin, csrfToken, canEdit, error }: { admin: AdminContext; csrfToken: string; canEdit: boolean; error?: string }) {
  const required = admin.organization.requireTwoFactor;
  return (
    <section class="card settings-card" id="security">
      <h2>{t("settings:security.title")}</h2>
      {error ? (
        <p class="flash flash-error" role="alert" safe>
          {error}
        </p>
      ) : (
        ""
      )}
      {canEdit ? (
        <form method="post" action="/settings/security" id="security-form">
          <CsrfField token={csrfToken} />
          <label class="check">
            <input type="checkbox" name="requireTwoFactor" value="on" checked={required} />
            <span>{t("settings:security.require")}</span>
          </label>
          <p class="muted small">
            {t("settings:security.explain")}
            {admin.user.totpEnabledAt ? "" : t("settings:security.enableOwnFirst")}
          </p>
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <p>{t(required ? "settings:security.required" : "settings:security.optional")}</p>
      )}
    </section>
  );
}
