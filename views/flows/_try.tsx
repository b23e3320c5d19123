import type { TryRun } from "@/features/flows/flow.try";
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
      <h2 id="try-title">Try it</h2>
      <p class="muted small" safe>
        {`Simulates a conversation with version ${props.version} without WhatsApp. {{name}} is your name, {{phone}} a sample number.`}
      </p>
      {run ? (
        <>
          <div class="chat-log" id="try-log" aria-live="polite">
            {run.transcript.length === 0 ? <p class="muted small">The flow sent nothing.</p> : ""}
            {run.transcript.map((line) => (
              <div class={line.role === "user" ? "bubble bubble-user" : line.role === "bot" ? "bubble bubble-assistant" : "bubble bubble-note"} safe>
                {line.text}
              </div>
            ))}
          </div>
          <dl class="kv try-state">
            <dt>Current step</dt>
            <dd>
              {state?.ended ? (
                <span>flow ended</span>
              ) : state?.stepKey ? (
                <>
                  <code safe>{state.stepKey}</code>
                  {state.awaitingInput ? <span class="muted"> (waiting for an answer)</span> : ""}
                </>
              ) : (
                <span class="muted">—</span>
              )}
            </dd>
            <dt>Variables</dt>
            <dd>
              {vars.length === 0 ? (
                <span class="muted">none yet</span>
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
                Answer
              </label>
              <input id="try-text" name="text" maxlength={2000} required placeholder="Type an answer…" autocomplete="off" autofocus />
              <button type="submit">Send</button>
            </form>
          )}
          {props.error ? <p class="error" safe>{props.error}</p> : ""}
          <form method="post" action={action} hx-post={action} hx-target="#try-panel" hx-swap="outerHTML">
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="reset" value="true" />
            <button type="submit" class="secondary">
              Reset
            </button>
          </form>
        </>
      ) : (
        <>
          {props.error ? <p class="error" safe>{props.error}</p> : ""}
          <form method="post" action={action} hx-post={action} hx-target="#try-panel" hx-swap="outerHTML">
            <CsrfField token={props.csrfToken} />
            <button type="submit">Start</button>
          </form>
        </>
      )}
    </section>
  );
}
