import { t, tText } from "@/lib/i18n";

export type LabelView = { id: string; name: string; color: string };

/** A label as a coloured chip; the name is truncated with an ellipsis when long. */
export function LabelChip({ label }: { label: LabelView }) {
  return (
    <span class="label-chip" style={`--label-color:${/^#[0-9a-f]{6}$/i.test(label.color) ? label.color : "#888888"}`} title={label.name}>
      <span class="label-name" safe>
        {label.name}
      </span>
    </span>
  );
}

/**
 * The open conversation's labels: each with a remove button, and a select of the organization's other
 * labels to add one. Every change answers with this box; the list refreshes through the live stream.
 */
export function ConversationLabelsBox({ conversationId, labels, all }: { conversationId: string; labels: LabelView[]; all: LabelView[] }) {
  const url = `/inbox/${conversationId}/labels`;
  const on = new Set(labels.map((l) => l.id));
  const others = all.filter((l) => !on.has(l.id));
  return (
    <div id="conv-labels" class="conv-labels" hx-get={url} hx-trigger="inbox:refresh" hx-swap="outerHTML">
      <ul class="label-list" aria-label={tText("labels:onConversation")}>
        {labels.map((l) => (
          <li>
            <LabelChip label={l} />
            <form method="post" action={url} hx-post={url} hx-target="#conv-labels" hx-swap="outerHTML" class="inline">
              <input type="hidden" name="labelId" value={l.id} />
              <input type="hidden" name="change" value="remove" />
              <button type="submit" class="link small" aria-label={tText("labels:remove", { name: l.name })}>
                ×
              </button>
            </form>
          </li>
        ))}
      </ul>
      {others.length > 0 ? (
        <form method="post" action={url} hx-post={url} hx-target="#conv-labels" hx-swap="outerHTML" class="row label-add">
          <input type="hidden" name="change" value="add" />
          <label for="label-add" class="sr-only">
            {t("labels:add")}
          </label>
          <select id="label-add" name="labelId">
            {others.map((l) => (
              <option value={l.id} safe>
                {l.name}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary small-button">
            {t("labels:add")}
          </button>
        </form>
      ) : (
        ""
      )}
    </div>
  );
}
