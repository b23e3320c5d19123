import type { FieldError } from "@/lib/errors";
import { personaInitials } from "@/features/prompts/prompt.compose";
import { PROMPT_LIMITS, type Persona } from "@/features/prompts/prompt.schema";
import { MEMORY_DEFAULTS } from "@/features/workflows/workflow.schema";
import { t, tText } from "@/lib/i18n";
import { Field, fieldError } from "../components/ui";

/** The workflow form's persona and memory fields (AI workflows): `config.persona.*`, `config.memory.*`. */
export function PersonaFields(props: { values: Record<string, string | undefined>; errors?: FieldError[] }) {
  const v = props.values;
  return (
    <>
      <fieldset class="provider-fields" id="persona-fields">
        <legend>{t("prompts:persona.legend")}</legend>
        <Field
          label={tText("prompts:persona.name")}
          name="config.persona.name"
          value={v["config.persona.name"]}
          errors={props.errors}
          maxlength={PROMPT_LIMITS.personaName}
        />
        <Field
          label={tText("prompts:persona.avatarUrl")}
          name="config.persona.avatarUrl"
          value={v["config.persona.avatarUrl"]}
          errors={props.errors}
          maxlength={PROMPT_LIMITS.avatarUrl}
          hint={tText("prompts:persona.avatarHint")}
        />
        <Field
          label={tText("prompts:persona.role")}
          name="config.persona.role"
          value={v["config.persona.role"]}
          errors={props.errors}
          maxlength={PROMPT_LIMITS.personaRole}
          placeholder={tText("prompts:persona.rolePlaceholder")}
        />
        <div class={fieldError(props.errors, "config.persona.personality") ? "field has-error" : "field"}>
          <label for="f-persona-personality">{t("prompts:persona.personality")}</label>
          <textarea id="f-persona-personality" name="config.persona.personality" rows="3" maxlength={PROMPT_LIMITS.personality} safe>
            {v["config.persona.personality"] ?? ""}
          </textarea>
          {fieldError(props.errors, "config.persona.personality") ? (
            <p class="error" safe>
              {fieldError(props.errors, "config.persona.personality")}
            </p>
          ) : (
            ""
          )}
        </div>
        <Field label={tText("prompts:persona.expertise")} name="config.persona.expertise" value={v["config.persona.expertise"]} errors={props.errors} />
        <p class="muted small">{t("prompts:persona.modelHint")}</p>
      </fieldset>
      <fieldset class="provider-fields" id="memory-fields">
        <legend>{t("prompts:memory.legend")}</legend>
        <Field
          label={tText("prompts:memory.maxMessages")}
          name="config.memory.maxMessages"
          value={v["config.memory.maxMessages"]}
          errors={props.errors}
          placeholder={String(MEMORY_DEFAULTS.maxMessages)}
        />
        <Field
          label={tText("prompts:memory.maxTokens")}
          name="config.memory.maxTokens"
          value={v["config.memory.maxTokens"]}
          errors={props.errors}
          placeholder={String(MEMORY_DEFAULTS.maxTokens)}
        />
        <Field
          label={tText("prompts:memory.keepRecent")}
          name="config.memory.keepRecent"
          value={v["config.memory.keepRecent"]}
          errors={props.errors}
          placeholder={String(MEMORY_DEFAULTS.keepRecent)}
        />
        <p class="muted small">{t("prompts:memory.hint")}</p>
      </fieldset>
    </>
  );
}

/** The persona on the workflow page: avatar (or initials), name, role, personality, expertise, model settings. */
export function PersonaCard(props: { persona?: Persona; temperature?: number; maxTokens?: number }) {
  const p = props.persona ?? {};
  const empty = !p.name && !p.role && !p.personality && !p.expertise?.length && !p.avatarUrl;
  return (
    <section class="card persona-card" id="persona">
      <h2>{t("prompts:persona.legend")}</h2>
      {empty ? (
        <p class="muted">{t("prompts:persona.none")}</p>
      ) : (
        <div class="row">
          {p.avatarUrl ? (
            <img class="avatar" src={p.avatarUrl} alt="" width="48" height="48" />
          ) : (
            <span class="avatar avatar-initials" aria-hidden="true" safe>
              {personaInitials(p.name) || "?"}
            </span>
          )}
          <div>
            {p.name ? <strong safe>{p.name}</strong> : ""}
            {p.role ? (
              <p class="muted" safe>
                {p.role}
              </p>
            ) : (
              ""
            )}
          </div>
        </div>
      )}
      {p.personality ? (
        <p>
          {t("prompts:persona.personality")}: <span safe>{p.personality}</span>
        </p>
      ) : (
        ""
      )}
      {p.expertise?.length ? (
        <p>
          {t("prompts:persona.expertise")}: <span safe>{p.expertise.join(", ")}</span>
        </p>
      ) : (
        ""
      )}
      <p class="muted small">
        {t("workflows:form.temperature")}: <span safe>{props.temperature === undefined ? "—" : String(props.temperature)}</span> ·{" "}
        {t("workflows:form.maxTokens")}: <span safe>{props.maxTokens === undefined ? "—" : String(props.maxTokens)}</span>
      </p>
    </section>
  );
}

/** Persona and memory settings as the form's fields (from a stored config). */
export function personaValues(config: Record<string, unknown>): Record<string, string | undefined> {
  const p = (config.persona ?? {}) as Persona;
  const m = (config.memory ?? {}) as Record<string, number | undefined>;
  const str = (x: unknown) => (x === undefined || x === null ? undefined : String(x));
  return {
    "config.persona.name": p.name,
    "config.persona.avatarUrl": p.avatarUrl,
    "config.persona.role": p.role,
    "config.persona.personality": p.personality,
    "config.persona.expertise": p.expertise?.join(", "),
    "config.memory.maxMessages": str(m.maxMessages),
    "config.memory.maxTokens": str(m.maxTokens),
    "config.memory.keepRecent": str(m.keepRecent),
  };
}
