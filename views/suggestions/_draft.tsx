import type { Conversation } from "@/features/conversations/conversation.service";
import type { SuggestedResponse } from "@/features/suggestions/suggestion.service";
import { REPLY_MODES, SUGGESTION_LIMITS } from "@/features/suggestions/suggestion.schema";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { fieldError } from "../components/ui";

/**
 * The inbox's slot for the AI's draft, above the reply box (one-line include in views/inbox): it loads
 * the panel, which then follows the inbox's live refreshes.
 */
export function SuggestionSlot({ conversationId }: { conversationId: string }) {
  return (
    <>
      <link rel="stylesheet" href="/static/suggestions.css" />
      <script src="/static/suggestions.js" defer />
      <div id="suggestion-panel" hx-get={`/inbox/${conversationId}/suggestion`} hx-trigger="load" hx-swap="outerHTML" />
    </>
  );
}

/**
 * The draft waiting in the conversation (Send / Edit / Discard) and the conversation's AI mode. It
 * reloads on every live inbox refresh — except while the agent edits (the edit form has no trigger, so
 * a refresh never throws an edit away).
 */
export function DraftPanel({ conversation, suggestion, errors }: { conversation: Conversation; suggestion: SuggestedResponse | null; errors?: FieldError[] }) {
  const base = `/inbox/${conversation.id}/suggestion`;
  const error = fieldError(errors, "text") ?? fieldError(errors, "(body)");
  return (
    <div id="suggestion-panel" class="suggestion-panel" data-live="1" hx-get={base} hx-trigger="suggestion:refresh" hx-swap="outerHTML">
      {suggestion ? (
        <section class="card draft-card" aria-label={tText("suggestions:draft.label")} data-suggestion-id={suggestion.id}>
          <p class="small muted">
            <strong>{t("suggestions:draft.label")}</strong> · {t("suggestions:draft.hint")}
          </p>
          <p class="small muted draft-context">
            {t("suggestions:draft.context")} <span safe>{suggestion.messageContext}</span>
          </p>
          <p class="draft-text" safe>
            {suggestion.suggestedText}
          </p>
          <div class="row draft-actions">
            <form
              method="post"
              action={`${base}/${suggestion.id}/send`}
              hx-post={`${base}/${suggestion.id}/send`}
              hx-target="#suggestion-panel"
              hx-sync="closest .suggestion-panel:replace"
              hx-swap="outerHTML"
            >
              <button type="submit" class="small-button">
                {t("suggestions:draft.send")}
              </button>
            </form>
            <a
              href={`${base}/${suggestion.id}/edit`}
              hx-get={`${base}/${suggestion.id}/edit`}
              hx-target="#suggestion-panel"
              hx-sync="closest .suggestion-panel:replace"
              hx-swap="outerHTML"
              class="button secondary small-button"
            >
              {t("suggestions:draft.edit")}
            </a>
            <form
              method="post"
              action={`${base}/${suggestion.id}/discard`}
              hx-post={`${base}/${suggestion.id}/discard`}
              hx-target="#suggestion-panel"
              hx-sync="closest .suggestion-panel:replace"
              hx-swap="outerHTML"
              class="row"
            >
              <label class="sr-only" for="draft-note">
                {t("suggestions:draft.note")}
              </label>
              <input id="draft-note" name="note" maxlength={SUGGESTION_LIMITS.note} placeholder={tText("suggestions:draft.note")} />
              <button type="submit" class="secondary small-button">
                {t("suggestions:draft.discard")}
              </button>
            </form>
          </div>
        </section>
      ) : (
        ""
      )}
      {error ? (
        <p class="error small" role="alert" safe>
          {error}
        </p>
      ) : (
        ""
      )}
      <ReplyModeForm conversation={conversation} />
    </div>
  );
}

/** The draft in the reply box for editing: what is sent is recorded as the final text. */
export function DraftEditForm({
  conversation,
  suggestion,
  text,
  errors,
}: {
  conversation: Conversation;
  suggestion: SuggestedResponse;
  text?: string;
  errors?: FieldError[];
}) {
  const base = `/inbox/${conversation.id}/suggestion`;
  const error = fieldError(errors, "text") ?? fieldError(errors, "(body)");
  return (
    <div id="suggestion-panel" class="suggestion-panel">
      <form
        class="card draft-card reply-form"
        method="post"
        action={`${base}/${suggestion.id}/send`}
        hx-post={`${base}/${suggestion.id}/send`}
        hx-target="#suggestion-panel"
        hx-sync="closest .suggestion-panel:replace"
        hx-swap="outerHTML"
        data-suggestion-id={suggestion.id}
      >
        <label for="draft-text">{t("suggestions:draft.editLabel")}</label>
        <textarea id="draft-text" name="text" rows="4" maxlength={SUGGESTION_LIMITS.text} required aria-invalid={error ? "true" : undefined} safe>
          {text ?? suggestion.suggestedText}
        </textarea>
        {error ? (
          <small class="error" safe>
            {error}
          </small>
        ) : (
          ""
        )}
        <div class="row draft-actions">
          <button type="submit">{t("suggestions:draft.sendEdited")}</button>
          <a
            href={`/inbox/${conversation.id}`}
            hx-get={base}
            hx-target="#suggestion-panel"
            hx-sync="closest .suggestion-panel:replace"
            hx-swap="outerHTML"
            class="button secondary"
          >
            {t("suggestions:draft.cancel")}
          </a>
        </div>
      </form>
    </div>
  );
}

function ReplyModeForm({ conversation }: { conversation: Conversation }) {
  const action = `/inbox/${conversation.id}/reply-mode`;
  return (
    <form
      method="post"
      action={action}
      hx-post={action}
      hx-target="#suggestion-panel"
      hx-sync="closest .suggestion-panel:replace"
      hx-swap="outerHTML"
      class="row small reply-mode-form"
    >
      <label for="reply-mode">{t("suggestions:draft.mode")}</label>
      <select id="reply-mode" name="mode">
        {REPLY_MODES.map((mode) => (
          <option value={mode} selected={conversation.aiReplyMode === mode}>
            {t(`suggestions:draft.modes.${mode}`)}
          </option>
        ))}
      </select>
      <button type="submit" class="secondary small-button">
        {t("suggestions:draft.setMode")}
      </button>
    </form>
  );
}
