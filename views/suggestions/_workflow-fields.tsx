import { t } from "@/lib/i18n";

/** The workflow form's human-in-the-loop toggles: draft only (hybrid for every conversation) and leaving out sentiment classification. */
export function HitlWorkflowFields({ draftOnly, sentimentOptOut }: { draftOnly: boolean; sentimentOptOut: boolean }) {
  return (
    <div class="field">
      <label class="checkbox">
        <input type="checkbox" name="config.draftOnly" value="on" checked={draftOnly} /> {t("suggestions:workflowForm.draftOnly")}
      </label>
      <p class="muted small">{t("suggestions:workflowForm.draftOnlyHint")}</p>
      <label class="checkbox">
        <input type="checkbox" name="config.sentimentOptOut" value="on" checked={sentimentOptOut} /> {t("suggestions:workflowForm.sentimentOptOut")}
      </label>
    </div>
  );
}
