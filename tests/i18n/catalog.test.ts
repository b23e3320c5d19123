import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { catalogs, type Messages } from "@/i18n";
import { formatDateTime, formatMoney, hasKey, LOCALES, negotiateLocale, t, tText, withLocale } from "@/lib/i18n";

const ROOT = join(import.meta.dir, "../..");

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path, ext);
    return ext.test(name) ? [path] : [];
  });
}

function keysOf(tree: Messages, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === "string" ? [`${prefix}${k}`] : keysOf(v, `${prefix}${k}.`)));
}

/** i18next plural forms (`_one`, `_other`, …) are one key to the code that calls t(). */
const baseKey = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, "");

describe("catalogs", () => {
  test("every namespace has the same keys in pt-BR and en, none empty", () => {
    for (const [ns, catalog] of Object.entries(catalogs)) {
      const pt = keysOf(catalog["pt-BR"]).map(baseKey).sort();
      const en = keysOf(catalog.en).map(baseKey).sort();
      expect({ ns, keys: [...new Set(pt)] }).toEqual({ ns, keys: [...new Set(en)] });
      for (const locale of LOCALES) {
        const empty = keysOf(catalog[locale]).filter((k) => {
          const value = k.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], catalog[locale]);
          return typeof value !== "string" || value.trim() === "";
        });
        expect({ ns, locale, empty }).toEqual({ ns, locale, empty: [] });
      }
    }
  });

  test("every key the code asks for exists in both languages", () => {
    const call = /\bt(?:Text)?\(\s*["'`]([a-zA-Z0-9_-]+:[a-zA-Z0-9_.-]+)["'`]/g;
    const missing: string[] = [];
    for (const file of [...files(join(ROOT, "src"), /\.tsx?$/), ...files(join(ROOT, "views"), /\.tsx$/)]) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(call)) {
        for (const locale of LOCALES) {
          // A plural key exists as its `_one`/`_other` forms; `_other` is there in every language.
          if (!hasKey(match[1]!, locale) && !hasKey(`${match[1]}_other`, locale)) missing.push(`${relative(ROOT, file)}: ${match[1]} (${locale})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

/**
 * Views whose text is not yet in the catalogs. The list only shrinks: a converted view is removed,
 * and a new view must be written with t() from the start.
 */
const PENDING = new Set<string>([]);

/** Attributes a person reads (or a screen reader speaks). */
const READ_ATTRIBUTES = new Set(["title", "placeholder", "aria-label", "alt", "label", "hint", "data-confirm", "confirm", "emptyText", "summary"]);

/** Literal strings in JSX that a person would read: text between tags, read attributes, {"…"} children. */
function literalStrings(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const words = (s: string) => /\p{L}{2,}/u.test(s);
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && words(node.text)) found.push(node.text.trim());
    if (ts.isJsxAttribute(node) && node.initializer && ts.isStringLiteral(node.initializer)) {
      const name = node.name.getText(source);
      if (READ_ATTRIBUTES.has(name) && words(node.initializer.text)) found.push(`${name}="${node.initializer.text}"`);
    }
    if (ts.isJsxExpression(node) && node.expression && (ts.isStringLiteral(node.expression) || ts.isNoSubstitutionTemplateLiteral(node.expression))) {
      const text = node.expression.text;
      if (words(text) && !text.startsWith("<!doctype")) found.push(text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // The brand is the same in every language.
  return found.filter((s) => s !== "LivChat");
}

describe("views", () => {
  test("no literal user-facing text outside the catalogs", () => {
    const offenders: Record<string, string[]> = {};
    for (const file of files(join(ROOT, "views"), /\.tsx$/)) {
      const rel = relative(ROOT, file);
      if (PENDING.has(rel)) continue;
      const strings = literalStrings(file);
      if (strings.length) offenders[rel] = strings.slice(0, 5);
    }
    expect(offenders).toEqual({});
  });

  test("the pending list names only views that still have literal text", () => {
    const done = [...PENDING].filter((rel) => literalStrings(join(ROOT, rel)).length === 0);
    expect(done).toEqual([]);
  });
});

describe("the i18n layer", () => {
  test("Accept-Language picks pt-BR or en by quality, pt-BR by default", () => {
    expect(negotiateLocale(null)).toBe("pt-BR");
    expect(negotiateLocale("en-US,en;q=0.9")).toBe("en");
    expect(negotiateLocale("fr-FR,en;q=0.5,pt;q=0.8")).toBe("pt-BR");
    expect(negotiateLocale("de")).toBe("pt-BR");
  });

  test("interpolated values are escaped in t() and plain in tText()", () => {
    withLocale({ locale: "en" }, () => {
      expect(String(t("validation:oneOf", { values: "<b>" }))).toBe("Choose one of: &lt;b&gt;");
      expect(tText("validation:oneOf", { values: "<b>" })).toBe("Choose one of: <b>");
    });
  });

  test("times show in the zone with the zone named; money in BRL", () => {
    const at = new Date("2026-12-03T15:04:00Z");
    withLocale({ locale: "pt-BR", timeZone: "America/Sao_Paulo" }, () => {
      expect(formatDateTime(at)).toContain("12:04");
      expect(formatDateTime(at)).toMatch(/BRT|GMT-3/);
      expect(formatMoney(1234.5)).toMatch(/R\$\s?1\.234,50/);
    });
    withLocale({ locale: "en", timeZone: "UTC" }, () => {
      expect(formatDateTime(at)).toContain("03:04 PM");
      expect(formatDateTime(at)).toContain("UTC");
    });
  });
});
