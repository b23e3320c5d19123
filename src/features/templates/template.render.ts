import { and, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { templates } from "@/db/schema";
import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";

/*
 * Rendering a template: its placeholders, filling them, and choosing a variant. Used by outbound
 * messages, automation, flows and the templates' own preview; the error texts are the sending ones
 * (namespace messages), since a failed render is a message that could not be sent.
 */

type Template = typeof templates.$inferSelect;

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/** The `{{names}}` a template text uses, in order of first appearance. */
export function templatePlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * A variable's value, read from the object's own properties only: `{{constructor}}` or
 * `{{__proto__}}` must be missing variables, not Object's function source or "[object Object]".
 */
function variableValue(variables: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(variables, name) ? variables[name] : undefined;
}

/** Replaces `{{name}}` with its value; the caller made sure every name has one. */
export function fillTemplate(text: string, variables: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => variableValue(variables, name) ?? "");
}

/**
 * Renders an organization's template: checks every variable any variant needs is present (a missing
 * one is a 422 naming it), then fills one variant chosen at random among body + variants.
 */
export async function renderTemplate(
  organizationId: string | null,
  ref: { key: string; variables: Record<string, string> },
  tx: DbOrTx = db,
): Promise<{ template: Template; body: string }> {
  const [template] = organizationId
    ? await tx
        .select()
        .from(templates)
        .where(and(eq(templates.organizationId, organizationId), eq(templates.key, ref.key)))
        .limit(1)
    : [];
  if (!template) throw validationFailed([{ path: "template.key", message: tText("messages:errors.templateMissing", { key: ref.key }) }]);
  if (!template.active) throw validationFailed([{ path: "template.key", message: tText("messages:errors.templateInactive", { key: ref.key }) }]);
  const texts = [template.body, ...template.variants.filter((v) => v.trim())];
  const needed = new Set([...template.variables, ...texts.flatMap(templatePlaceholders)]);
  const missing = [...needed].filter((name) => variableValue(ref.variables, name) === undefined);
  if (missing.length > 0) {
    throw validationFailed(
      missing.map((name) => ({ path: `template.variables.${name}`, message: tText("messages:errors.missingVariable", { name }) })),
      tText("messages:errors.templateNeeds", { key: ref.key, names: missing.map((n) => `"${n}"`).join(", ") }),
    );
  }
  const chosen = texts[Math.floor(Math.random() * texts.length)]!;
  return { template, body: fillTemplate(chosen, ref.variables) };
}
