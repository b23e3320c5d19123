import type { InstructionsOverview } from "@/features/prompts/prompt.service";
import { PROMPT_LIMITS } from "@/features/prompts/prompt.schema";
import { t, tText } from "@/lib/i18n";
import { Badge, EmptyState, Time } from "../components/ui";

/** Who published a version, for people: the member's email, "API key" or "system". */
function authorOf(v: InstructionsOverview["versions"][number]): string {
  if (v.authorLabel) return v.authorLabel;
  return v.authorType === "api_key" ? tText("prompts:versions.apiKey") : tText("prompts:versions.system");
}

/** Where the editor's autosave and save report (swapped by htmx). */
export function DraftStatus(props: { savedAt?: Date | null; error?: string }) {
  return (
    <p id="draft-status" class="muted small" aria-live="polite">
      {props.error ? (
        <span class="error" safe>
          {props.error}
        </span>
      ) : props.savedAt ? (
        <>
          {t("prompts:editor.savedAt")} <Time at={props.savedAt} />
        </>
      ) : (
        t("prompts:editor.autosaveHint")
      )}
    </p>
  );
}

/**
 * The workflow page's Instructions tab: the draft editor (autosaved, published with a changelog),
 * the versions (view, diff with the previous, rollback) and a diff picker between any two.
 */
export function InstructionsPanel(props: { overview: InstructionsOverview; csrfToken: string; errors?: { path: string; message: string }[] }) {
  const o = props.overview;
  const base = `/workflows/${o.workflow.id}/instructions`;
  if (!o.workflow.ai) {
    return (
      <section class="card" id="instructions">
        <h2>{t("prompts:tab.title")}</h2>
        <p class="muted">{t("prompts:tab.notAi")}</p>
      </section>
    );
  }
  const current = o.current;
  const text = o.draft?.instructions ?? current?.instructions ?? "";
  const stale = o.draft && current && o.draft.baseVersion !== null && o.draft.baseVersion < current.version;
  const error = (path: string) => props.errors?.find((e) => e.path === path)?.message;
  return (
    <section class="card" id="instructions">
      <h2>{t("prompts:tab.title")}</h2>
      <p class="muted small">{t("prompts:tab.intro")}</p>
      <p>{current ? <Badge tone="ok">{t("prompts:tab.current", { version: current.version })}</Badge> : <Badge>{t("prompts:tab.none")}</Badge>}</p>
      {o.editable ? (
        <form id="prompt-editor" method="post" action={`${base}/publish`}>
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <div class={error("instructions") ? "field has-error" : "field"}>
            <label for="prompt-instructions">{t("prompts:editor.label")}</label>
            <textarea
              id="prompt-instructions"
              name="instructions"
              rows="12"
              maxlength={PROMPT_LIMITS.instructions}
              hx-post={`${base}/draft`}
              hx-trigger="input changed delay:1500ms"
              hx-include="#prompt-editor"
              hx-target="#draft-status"
              hx-swap="outerHTML"
              safe
            >
              {text}
            </textarea>
            {error("instructions") ? (
              <p class="error" safe>
                {error("instructions")}
              </p>
            ) : (
              ""
            )}
          </div>
          {stale ? <p class="warn small">{t("prompts:editor.stale", { base: o.draft!.baseVersion!, current: current!.version })}</p> : ""}
          {o.draft ? <DraftStatus savedAt={o.draft.lastEditedAt} /> : <p class="muted small">{t("prompts:editor.noDraft")}</p>}
          {o.draft ? "" : <DraftStatus />}
          <div class={error("changelog") ? "field has-error" : "field"}>
            <label for="prompt-changelog">{t("prompts:editor.changelog")}</label>
            <input
              id="prompt-changelog"
              name="changelog"
              maxlength={PROMPT_LIMITS.changelog}
              required
              placeholder={tText("prompts:editor.changelogPlaceholder")}
            />
            {error("changelog") ? (
              <p class="error" safe>
                {error("changelog")}
              </p>
            ) : (
              ""
            )}
          </div>
          <div class="row">
            <button type="submit">{t("prompts:editor.publish")}</button>
            <button type="submit" class="secondary" formaction={`${base}/draft`} formnovalidate>
              {t("prompts:editor.saveDraft")}
            </button>
            {o.draft ? (
              <button type="submit" class="link" formaction={`${base}/draft/delete`} formnovalidate data-confirm={tText("prompts:editor.discardConfirm")}>
                {t("prompts:editor.discardDraft")}
              </button>
            ) : (
              ""
            )}
          </div>
        </form>
      ) : (
        <>
          {current ? (
            <pre class="prompt-text" safe>
              {current.instructions}
            </pre>
          ) : (
            ""
          )}
          {o.workflow.system ? "" : <p class="muted small">{t("prompts:tab.readOnly")}</p>}
        </>
      )}

      <h3>{t("prompts:versions.title")}</h3>
      {o.versions.length === 0 ? (
        <EmptyState>{t("prompts:versions.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="prompt-versions">
            <thead>
              <tr>
                <th>{t("prompts:versions.version")}</th>
                <th>{t("prompts:versions.changelog")}</th>
                <th>{t("prompts:versions.author")}</th>
                <th>{t("prompts:versions.at")}</th>
                <th>
                  <span class="sr-only">{t("workflows:columns.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {o.versions.map((v) => (
                <tr>
                  <td data-label={tText("prompts:versions.version")}>
                    v{v.version} {v.version === current?.version ? <Badge tone="ok">{t("prompts:versions.current")}</Badge> : ""}{" "}
                    <Badge tone="muted">{t(`prompts:versions.sources.${v.source}`)}</Badge>
                  </td>
                  <td data-label={tText("prompts:versions.changelog")} safe>
                    {v.changelog}
                  </td>
                  <td data-label={tText("prompts:versions.author")} safe>
                    {authorOf(v)}
                  </td>
                  <td data-label={tText("prompts:versions.at")}>
                    <Time at={v.createdAt} />
                  </td>
                  <td class="row">
                    <a href={`${base}/versions/${v.version}`}>{t("prompts:versions.view")}</a>
                    {v.version > 1 ? (
                      <a
                        href={`${base}/diff?from=${v.version - 1}&to=${v.version}`}
                        hx-get={`${base}/diff?from=${v.version - 1}&to=${v.version}`}
                        hx-target="#prompt-diff"
                        hx-swap="innerHTML"
                      >
                        {t("prompts:versions.diffPrevious")}
                      </a>
                    ) : (
                      ""
                    )}
                    {o.editable && v.version !== current?.version ? (
                      <form
                        method="post"
                        action={`${base}/versions/${v.version}/rollback`}
                        data-confirm={tText("prompts:versions.rollbackConfirm", { version: v.version })}
                      >
                        <input type="hidden" name="_csrf" value={props.csrfToken} />
                        <button type="submit" class="link">
                          {t("prompts:versions.rollback")}
                        </button>
                      </form>
                    ) : (
                      ""
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {o.versions.length > 1 ? (
        <form method="get" action={`${base}/diff`} hx-get={`${base}/diff`} hx-target="#prompt-diff" hx-swap="innerHTML" class="row">
          <label for="diff-from">{t("prompts:diff.from")}</label>
          <select id="diff-from" name="from">
            {o.versions.map((v, i) => (
              <option value={String(v.version)} selected={i === 1}>
                v{v.version}
              </option>
            ))}
          </select>
          <label for="diff-to">{t("prompts:diff.to")}</label>
          <select id="diff-to" name="to">
            {o.versions.map((v, i) => (
              <option value={String(v.version)} selected={i === 0}>
                v{v.version}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            {t("prompts:diff.show")}
          </button>
        </form>
      ) : (
        ""
      )}
      <div id="prompt-diff"></div>
    </section>
  );
}

/** A line diff between two versions: added lines marked +, removed lines marked −. */
export function PromptDiff(props: { from: number; to: number; lines: { type: "added" | "removed" | "same"; text: string }[] }) {
  const changed = props.lines.some((l) => l.type !== "same");
  return (
    <div class="prompt-diff">
      <h3>{t("prompts:diff.title", { from: props.from, to: props.to })}</h3>
      {changed ? (
        <pre class="diff">
          {props.lines.map((l) => (
            <span class={`diff-line diff-${l.type}`}>
              <span class="sr-only">{l.type === "same" ? "" : t(`prompts:diff.${l.type}`)}</span>
              {l.type === "added" ? "+ " : l.type === "removed" ? "- " : "  "}
              <span safe>{l.text}</span>
              {"\n"}
            </span>
          ))}
        </pre>
      ) : (
        <p class="muted">{t("prompts:diff.noChanges")}</p>
      )}
    </div>
  );
}
