import type { FieldError } from "@/lib/errors";
import { t } from "@/lib/i18n";
import { problemStepKey } from "./_steps";

/**
 * validateFlow's problems for the version shown (missing targets, unreachable steps, missing
 * templates…), each linking to the offending step. Re-rendered on every change and by a refused publish.
 */
export function ProblemsPanel(props: { problems: FieldError[]; status: "draft" | "published" | "archived"; refused?: boolean }) {
  const ok = props.problems.length === 0;
  return (
    <section id="flow-problems" class={ok ? "card problems problems-ok" : "card problems problems-bad"} aria-live="polite">
      <h2>{t("flows:problems.title")}</h2>
      {props.refused ? <p class="error">{t("flows:problems.refused")}</p> : ""}
      {ok ? (
        <p>{props.status === "draft" ? t("flows:problems.noneDraft") : t("flows:problems.none")}</p>
      ) : (
        <ul>
          {props.problems.map((p) => {
            const key = problemStepKey(p.path);
            return (
              <li>
                {key ? (
                  <a href={`#step-${key}`} safe>
                    {p.message}
                  </a>
                ) : (
                  <span safe>{p.message}</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
