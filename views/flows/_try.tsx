import type { TryRun } from "@/features/flows/flow.try";
import { t, tText } from "@/lib/i18n";
import { CsrfField } from "../components/ui";

/**
 * The "try it" panel: a simulated conversation with the version shown (drafts too), nothing sent to
 * WhatsApp. The run lives in a thread whose id travels in a hidden field.
 */
export function TryPanel(props: { flowId: string; version: number; run?: TryRun; csrfToken: string; error?: string }) {
  const action = `/flows/${props.flowId}/try`;
  const run = props.run;
  const state = run?.state;
  const vars = Object.entries(state?.variables ?? {});
  return (
    <section id="try-panel" class="card try-panel" aria-labelledby="try-title">
      <h2 id="try-title">{t("flows:try.title")}</h2>
      <p class="muted small">{t("flows:try.intro", { version: props.version, name: "{{name}}", phone: "{{phone}}" })}</p>
      {run ? (
        <>
          <div class="chat-log" id="try-log" aria-live="polite">
            {run.transcript.length === 0 ? <p class="muted small">{t("flows:try.sentNothing")}</p> : ""}
            {run.transcript.map((line) => (
              <div class={line.role === "user" ? "bubble bubble-user" : line.role === "bot" ? "bubble bubble-assistant" : "bubble bubble-note"} safe>
                {line.text}
              </div>
            ))}
          </div>
          <dl class="kv try-state">
            <dt>{t("flows:try.currentStep")}</dt>
            <dd>
              {state?.ended ? (
                <span>{t("flows:try.ended")}</span>
              ) : state?.stepKey ? (
                <>
                  <code safe>{state.stepKey}</code>
                  {state.awaitingInput ? <span class="muted">{t("flows:try.waiting")}</span> : ""}
                </>
              ) : (
                <span class="muted">—</span>
              )}
            </dd>
            <dt>{t("flows:try.variables")}</dt>
            <dd>
              {vars.length === 0 ? (
                <span class="muted">{t("flows:try.noVariables")}</span>
              ) : (
                <ul class="try-vars">
                  {vars.map(([k, v]) => (
                    <li>
                      <code safe>{k}</code> = <span safe>{v}</span>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
          {state?.ended ? (
            ""
          ) : (
            <form method="post" action={action} hx-post={action} hx-target="#try-panel" hx-swap="outerHTML" class="row try-form">
              <CsrfField token={props.csrfToken} />
              <input type="hidden" name="threadId" value={run.threadId} />
              <label for="try-text" class="sr-only">
                {t("flows:try.answer")}
              </label>
              <input id="try-text" name="text" maxlength={2000} required placeholder={tText("flows:try.answerPlaceholder")} autocomplete="off" autofocus />
              <button type="submit">{t("flows:try.send")}</button>
            </form>
          )}
          {props.error ? (
            <p class="error" safe>
              {props.error}
            </p>
          ) : (
            ""
          )}
          <form method="post" action={action} hx-post={action} hx-target="#try-panel" hx-swap="outerHTML">
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="reset" value="true" />
            <button type="submit" class="secondary">
              {t("flows:try.reset")}
            </button>
          </form>
        </>
      ) : (
        <>
          {props.error ? (
            <p class="error" safe>
              {props.error}
            </p>
          ) : (
            ""
          )}
          <form method="post" action={action} hx-post={action} hx-target="#try-panel" hx-swap="outerHTML">
            <CsrfField token={props.csrfToken} />
            <button type="submit">{t("flows:try.start")}</button>
          </form>
        </>
      )}
    </section>
  );
}
