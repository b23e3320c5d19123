import type { FieldError } from "@/lib/errors";
import { tText } from "@/lib/i18n";

type Body = Record<string, unknown>;

const trimmed = (body: Body, key: string) => {
  const v = body[key];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
};

/**
 * The workflow form's persona and memory fields → `config.persona` / `config.memory` as the API takes
 * them (validated by workflow.schema's openAiConfigSchema). Empty fields are left out; on the edit
 * form an all-empty persona or memory is sent as `{}` so clearing the fields clears the setting.
 */
export function personaAndMemoryFromForm(
  body: Body,
  editing: boolean,
): { persona?: Record<string, unknown>; memory?: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const num = (key: string) => {
    const v = trimmed(body, key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) errors.push({ path: key, message: tText("validation:expectedNumber") });
    return n;
  };
  const expertise = (trimmed(body, "config.persona.expertise") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const persona = Object.fromEntries(
    Object.entries({
      name: trimmed(body, "config.persona.name"),
      avatarUrl: trimmed(body, "config.persona.avatarUrl"),
      role: trimmed(body, "config.persona.role"),
      personality: trimmed(body, "config.persona.personality"),
      expertise: expertise.length ? expertise : undefined,
    }).filter(([, v]) => v !== undefined),
  );
  const memory = Object.fromEntries(
    Object.entries({
      maxMessages: num("config.memory.maxMessages"),
      maxTokens: num("config.memory.maxTokens"),
      keepRecent: num("config.memory.keepRecent"),
    }).filter(([, v]) => v !== undefined),
  );
  const keep = (o: Record<string, unknown>) => (Object.keys(o).length > 0 || editing ? o : undefined);
  return { persona: keep(persona), memory: keep(memory), errors };
}
