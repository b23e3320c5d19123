import { t } from "@/lib/i18n";

/** The workflow form's "the model takes images" toggle (media-context.ts: images as image parts, else placeholders). */
export function VisionField({ checked }: { checked: boolean }) {
  return (
    <div class="field">
      <label class="checkbox">
        <input type="checkbox" name="config.vision" value="on" checked={checked} /> {t("media-context:form.vision")}
      </label>
      <p class="muted small">{t("media-context:form.visionHint")}</p>
    </div>
  );
}
