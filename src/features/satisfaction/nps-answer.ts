/**
 * What a contact may answer to "from 0 to 10…" and have it taken as the score. Accepted, ignoring case,
 * accents, surrounding spaces, punctuation and emoji:
 *   - a whole number 0–10 alone: "9", "10!", "  7 ", "9/10", "9 de 10", "10 / 10";
 *   - the same after a short lead-in: "nota 9", "nota: 8", "minha nota é 10", "dou 9", "score 6", "I give 9";
 *   - the number as a word, Portuguese or English: "nove", "dez", "zero", "um"/"uma", "dois"/"duas", "três", "nine", "ten".
 * Anything else is not a score (the contact is writing something else): "11", "9,5", "meu pedido 123",
 * "de 0 a 10 dou 8 mas…" (extra words), "8 ou 9". Wrapped in this one function so the rule is tested on its own.
 */
const WORDS: Record<string, number> = {
  zero: 0,
  um: 1,
  uma: 1,
  dois: 2,
  duas: 2,
  tres: 3,
  quatro: 4,
  cinco: 5,
  seis: 6,
  sete: 7,
  oito: 8,
  nove: 9,
  dez: 10,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
};

const LEAD_IN = /^(?:(?:minha |a )?nota(?: e| eh)?|dou(?: nota)?|score|my score(?: is)?|i give(?: it)?|i'd give(?: it)?|rating)\s*:?\s*/;
const OUT_OF_TEN = /\s*(?:\/\s*10|de 10|out of 10|em 10)$/;

export function parseNpsScore(text: string): number | null {
  let s = text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    // Emoji, punctuation and symbols at the ends ("10!", "9 👍", "(8)").
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "")
    .replace(/\s+/g, " ")
    .trim();
  if (s.length === 0 || s.length > 40) return null;
  s = s.replace(LEAD_IN, "").replace(OUT_OF_TEN, "").trim();
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    return n <= 10 ? n : null;
  }
  return WORDS[s] ?? null;
}
