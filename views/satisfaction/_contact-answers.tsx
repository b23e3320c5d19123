import type { feedbackJson } from "@/features/satisfaction/satisfaction.service";
import { t } from "@/lib/i18n";
import { Time } from "../components/ui";
import { CategoryBadge } from "./index";

type PublicFeedback = ReturnType<typeof feedbackJson>;

/**
 * The contact side panel's NPS answers (the inbox includes this partial; `listContactAnswers` reads them):
 * score, category, comment and when, newest first. Renders nothing without answers.
 */
export function ContactNpsAnswers(props: { answers: PublicFeedback[] }) {
  if (props.answers.length === 0) return "";
  return (
    <section class="contact-nps" aria-labelledby="contact-nps-title">
      <h3 id="contact-nps-title" class="small">
        {t("satisfaction:contactPanel.title")}
      </h3>
      <ul class="plain small">
        {props.answers.map((a) => (
          <li data-feedback={a.id}>
            <strong>{a.npsScore ?? "—"}</strong> <CategoryBadge category={a.category} /> <Time at={a.answeredAt} />
            {a.comment ? (
              <div class="muted" safe>
                {a.comment}
              </div>
            ) : (
              ""
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
