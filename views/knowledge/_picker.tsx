import type { FieldError } from "@/lib/errors";
import { t } from "@/lib/i18n";

/**
 * The workflow form's knowledge collections: a placeholder that loads the organization's collections
 * from /knowledge/picker (the workflows feature does not read them), with the workflow's current choice.
 */
export function KnowledgePicker(props: { selected?: string; errors?: FieldError[] }) {
  const query = new URLSearchParams({ selected: props.selected ?? "" }).toString();
  // An attached collection that is not the organization's (422 at config.knowledgeCollectionIds.N).
  const error = props.errors?.find((e) => e.path.startsWith("config.knowledgeCollectionIds"))?.message;
  return (
    <fieldset class="provider-fields" id="knowledge-fields">
      <legend>{t("knowledge:picker.legend")}</legend>
      <div hx-get={`/knowledge/picker?${query}`} hx-trigger="load" hx-swap="outerHTML" hx-target="this">
        <p class="muted small">{t("knowledge:picker.loading")}</p>
      </div>
      {error ? (
        <p class="error" safe>
          {error}
        </p>
      ) : (
        ""
      )}
    </fieldset>
  );
}

/** The checkboxes the picker loads; the hidden marker tells the form post the choice was shown (none checked = none attached). */
export function KnowledgePickerOptions(props: { collections: { id: string; name: string }[]; selected: string[] }) {
  const selected = new Set(props.selected);
  return (
    <div class="field" id="knowledge-picker">
      <input type="hidden" name="config.knowledgeCollectionIds.shown" value="1" />
      {props.collections.length === 0 ? (
        <p class="muted small">
          {t("knowledge:picker.none")} <a href="/knowledge">{t("knowledge:title")}</a>
        </p>
      ) : (
        props.collections.map((c) => (
          <label class="checkbox">
            <input type="checkbox" name="config.knowledgeCollectionIds" value={c.id} checked={selected.has(c.id)} /> <span safe>{c.name}</span>
          </label>
        ))
      )}
      {/* A collection chosen before but since deleted is dropped on save. */}
      <p class="muted small">{t("knowledge:picker.hint")}</p>
    </div>
  );
}
