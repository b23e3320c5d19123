import type { InstructionsOverview } from "@/features/prompts/prompt.service";
import type { Persona } from "@/features/prompts/prompt.schema";
import { t, tText } from "@/lib/i18n";
import { InstructionsPanel } from "../prompts/_instructions";
import { PersonaCard } from "./_persona";

/**
 * The workflow page's section links (test chat, persona, instructions, threads, settings) and, for AI
 * workflows, the persona card and the Instructions tab (prompt versions).
 */
export function WorkflowTabs(props: {
  workflow: { provider: string; config: Record<string, unknown> };
  instructions: InstructionsOverview;
  csrfToken: string;
}) {
  const ai = props.workflow.provider === "openai";
  const c = props.workflow.config;
  return (
    <>
      <link rel="stylesheet" href="/static/prompts.css" />
      <nav class="tabs row" aria-label={tText("prompts:tab.tabsLabel")}>
        {props.workflow.provider === "flow" ? "" : <a href="#chat-panel">{t("workflows:show.testChat")}</a>}
        {ai ? <a href="#persona">{t("prompts:persona.legend")}</a> : ""}
        {ai ? <a href="#instructions">{t("prompts:tab.title")}</a> : ""}
        <a href="#workflow-form">{t("workflows:show.settings")}</a>
      </nav>
      {ai ? (
        <>
          <PersonaCard
            persona={c.persona as Persona | undefined}
            temperature={typeof c.temperature === "number" ? c.temperature : undefined}
            maxTokens={typeof c.maxTokens === "number" ? c.maxTokens : undefined}
          />
          <InstructionsPanel overview={props.instructions} csrfToken={props.csrfToken} />
        </>
      ) : (
        ""
      )}
    </>
  );
}
