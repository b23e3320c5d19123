import { RE2JS, RE2JSException } from "re2js";
import { tText } from "@/lib/i18n";

/**
 * Regex triggers run on every inbound message of an organization, on the one event loop every tenant
 * shares, so they go through RE2 (re2js, a pure-JS port): matching time is linear in the input, and
 * `(a+)+$` cannot backtrack for seconds the way it does in V8's engine. RE2 has no backreferences
 * or lookaround; such patterns are refused when a trigger is saved.
 */

/** Longest text a regex trigger looks at; the inbound path never scans more. */
export const REGEX_INPUT_MAX = 2000;

/**
 * RE2's "program size" (compiled instructions). Matching is linear in input × program size, so a
 * bounded program bounds one match of REGEX_INPUT_MAX characters (`\w{500}`, the worst, ≈ 20 ms);
 * ordinary keyword patterns (size ~10–200) match in well under a millisecond.
 */
export const REGEX_PROGRAM_MAX = 500;

/** Why a pattern cannot be used; compiled results are cached across requests, so words come later. */
export type RegexProblem = { problem: "invalid"; reason: string } | { problem: "backreference" | "lookaround" | "tooComplex" };

export type CompiledRegex = { ok: true; regex: RE2JS } | ({ ok: false } & RegexProblem);

/** The problem in words for the admin, in the request's language (RE2's own reason stays as RE2 wrote it). */
export function regexProblemMessage(p: RegexProblem): string {
  if (p.problem === "invalid") return tText("triggers:errors.regex.invalid", { reason: p.reason });
  if (p.problem === "backreference") return tText("triggers:errors.regex.backreference");
  if (p.problem === "lookaround") return tText("triggers:errors.regex.lookaround");
  return tText("triggers:errors.regex.tooComplex");
}

function reasonOf(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  return raw.replace(/^error parsing regexp:\s*/, "");
}

/**
 * Names the JavaScript features RE2 lacks, reading escapes as escapes (`\\1` is a backslash and a 1).
 * Needed before compiling: RE2 reports lookbehind as a malformed named group, and translateRegExp
 * would quietly turn `\k<name>` into the letters "k<name>".
 */
function unsupportedFeature(pattern: string): "backreference" | "lookaround" | null {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && (/[1-9]/.test(next) || (next === "k" && pattern[i + 2] === "<"))) return "backreference";
      i++;
    } else if (inClass) {
      if (ch === "]") inClass = false;
    } else if (ch === "[") {
      inClass = true;
    } else if (ch === "(" && /^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) {
      return "lookaround";
    }
  }
  return null;
}

function compileUncached(pattern: string): CompiledRegex {
  const unsupported = unsupportedFeature(pattern);
  if (unsupported) return { ok: false, problem: unsupported };
  try {
    // translateRegExp accepts JavaScript spellings RE2 lacks (`\u00e9`, `(?<name>…)`, an unescaped `/`).
    const regex = RE2JS.compile(RE2JS.translateRegExp(pattern), RE2JS.CASE_INSENSITIVE);
    if (regex.programSize() > REGEX_PROGRAM_MAX) return { ok: false, problem: "tooComplex" };
    return { ok: true, regex };
  } catch (err) {
    if (err instanceof RE2JSException) return { ok: false, problem: "invalid", reason: reasonOf(err) };
    throw err;
  }
}

// Inbound messages match the same few patterns over and over; compiling is the expensive part.
const compiled = new Map<string, CompiledRegex>();
const COMPILED_MAX = 5_000;

/** Compiles a trigger's pattern (case-insensitive) or says, in words for the admin, why it cannot. */
export function compileTriggerRegex(pattern: string): CompiledRegex {
  let entry = compiled.get(pattern);
  if (!entry) {
    entry = compileUncached(pattern);
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    compiled.set(pattern, entry);
  }
  return entry;
}

/** Whether the pattern occurs in the text (its first REGEX_INPUT_MAX characters); an unusable pattern matches nothing. */
export function regexMatches(pattern: string, text: string): boolean {
  const entry = compileTriggerRegex(pattern);
  return entry.ok && entry.regex.test(text.slice(0, REGEX_INPUT_MAX));
}
