import { registerPeriodicWorker } from "@/workers/registry";
import { runAutoPromptSuggestions } from "./prompt-suggestion.service";

/**
 * Every 15 minutes: workflows whose agents corrected enough drafts get a prompt suggestion to review
 * (runAutoPromptSuggestions; safe in several processes: one generation per workflow at a time).
 */
registerPeriodicWorker({
  name: "prompt-suggestions",
  firstRunMs: 60_000,
  intervalMs: () => 15 * 60_000,
  run: async () => {
    await runAutoPromptSuggestions();
  },
});
