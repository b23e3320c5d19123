import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * Providers are pure adapters: nothing in src/providers imports a feature, the database or a worker
 * (type-only, re-exports and dynamic imports included). What an adapter needs from LivChat comes in
 * through its arguments, the types in provider.ts, or the sink the composition root hands it.
 */
const SRC = resolve(import.meta.dir, "../../src");
const PROVIDERS = join(SRC, "providers");
const FORBIDDEN = ["features", "db", "workers"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier one file imports, re-exports, imports dynamically or names in `import("…")` types. */
function specifiersOf(file: string, text = readFileSync(file, "utf8")): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require")) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The top-level folder of src/ a specifier points into (`@/db/client` → "db", `../features/x` → "features"). */
function srcFolderOf(file: string, specifier: string): string | undefined {
  let path: string | undefined;
  if (specifier.startsWith("@/")) path = join(SRC, specifier.slice(2));
  else if (specifier.startsWith(".")) path = resolve(dirname(file), specifier);
  if (!path?.startsWith(`${SRC}/`)) return undefined;
  return relative(SRC, path).split("/")[0];
}

function offencesOf(file: string, text?: string): string[] {
  return specifiersOf(file, text)
    .filter((specifier) => FORBIDDEN.includes(srcFolderOf(file, specifier) ?? ""))
    .map((specifier) => `${relative(SRC, file)} imports ${specifier}`);
}

describe("provider adapters", () => {
  const files = sourceFiles(PROVIDERS);

  test("the check sees every kind of import (a guard against a test that passes by finding nothing)", () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    const probe = join(PROVIDERS, "probe.ts");
    const sample = [
      `import type { Instance } from "@/db/schema";`,
      `import { ingestInbound } from "@/features/inbound/inbound.service";`,
      `export { startWorkers } from "../workers/registry";`,
      `type T = import("@/db/client").Db;`,
      `const later = () => import("@/features/instances/instance.service");`,
      `import { config } from "@/config";`,
      `import { log } from "@/lib/logger";`,
      `import { obj } from "./http";`,
    ].join("\n");
    expect(offencesOf(probe, sample)).toEqual([
      "providers/probe.ts imports @/db/schema",
      "providers/probe.ts imports @/features/inbound/inbound.service",
      "providers/probe.ts imports ../workers/registry",
      "providers/probe.ts imports @/db/client",
      "providers/probe.ts imports @/features/instances/instance.service",
    ]);
  });

  test("nothing in src/providers imports @/features, @/db or @/workers", () => {
    expect(files.flatMap((file) => offencesOf(file))).toEqual([]);
  });
});
