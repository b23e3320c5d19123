import { tText } from "@/lib/i18n";
import type { Persona } from "./prompt.schema";

/**
 * The system prompt a model receives: the persona (who it is), then the published instructions (what
 * it does), then the summary of the turns memory folded away. With no persona and no summary it is the
 * instructions exactly as written. Headings are in the organization's language (the turn runs in it).
 */
export function composeSystemPrompt(parts: { persona?: Persona | null; instructions?: string | null; summary?: string | null }): string | undefined {
  const sections: string[] = [];
  const persona = personaText(parts.persona);
  const instructions = parts.instructions?.trim() ? parts.instructions : "";
  if (persona) sections.push(`## ${tText("prompts:compose.personaHeading")}\n${persona}`);
  if (instructions) sections.push(persona ? `## ${tText("prompts:compose.instructionsHeading")}\n${instructions}` : instructions);
  if (parts.summary?.trim()) sections.push(`## ${tText("prompts:compose.summaryHeading")}\n${parts.summary.trim()}`);
  return sections.length > 0 ? sections.join("\n\n") : undefined;
}

/** The persona as lines the model reads, or "" when it has none of the fields. */
export function personaText(p: Persona | null | undefined): string {
  if (!p) return "";
  const lines: string[] = [];
  if (p.name && p.role) lines.push(tText("prompts:compose.youAreRole", { name: p.name, role: p.role }));
  else if (p.name) lines.push(tText("prompts:compose.youAre", { name: p.name }));
  else if (p.role) lines.push(tText("prompts:compose.yourRole", { role: p.role }));
  if (p.personality) lines.push(tText("prompts:compose.personality", { personality: p.personality }));
  if (p.expertise?.length) lines.push(tText("prompts:compose.expertise", { expertise: p.expertise.join(", ") }));
  return lines.join("\n");
}

/** Up to two initials of a persona's name, shown when it has no avatar image. */
export function personaInitials(name: string | undefined): string {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  return words
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
}
