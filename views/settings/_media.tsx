import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Field } from "../components/ui";

export type MediaRetentionForm = { values?: { days?: string }; errors?: FieldError[] };

/** How long the organization keeps media files (the retention sweeper deletes older ones). */
export function MediaSettings({ admin, csrfToken, canEdit, form }: { admin: AdminContext; csrfToken: string; canEdit: boolean; form?: MediaRetentionForm }) {
  const days = admin.organization.mediaRetentionDays;
  return (
    <section class="card settings-card" id="media">
      <h2>{t("media:settings.title")}</h2>
      {canEdit ? (
        <form method="post" action="/settings/media" id="media-form">
          <CsrfField token={csrfToken} />
          <Field
            label={tText("media:settings.days")}
            name="days"
            type="number"
            hint={tText("media:settings.explain")}
            value={form?.values?.days ?? (days === null ? "" : String(days))}
            errors={form?.errors}
          />
          <button type="submit">{t("common:actions.save")}</button>
        </form>
      ) : (
        <p>{days === null ? t("media:settings.keep") : t("media:settings.current", { count: days })}</p>
      )}
    </section>
  );
}
