import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * The dependency picture of src/features: no two feature folders import each other (type-only imports
 * count too), and no feature mounts another feature's routes — src/routes.ts, the composition root,
 * mounts them all and wires what must cross features.
 */
const FEATURES = resolve(import.meta.dir, "../../src/features");

type Import = { file: string; from: string; to: string; specifier: string; names: string[] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function featureOf(path: string): string {
  return relative(FEATURES, path).split("/")[0]!;
}

/** The feature folder a module specifier points into, if any. */
function targetFeature(file: string, specifier: string): string | undefined {
  if (specifier.startsWith("@/features/")) return specifier.split("/")[2];
  if (specifier.startsWith(".")) {
    const path = resolve(dirname(file), specifier);
    if (path.startsWith(`${FEATURES}/`)) return featureOf(path);
  }
  return undefined;
}

/** Every import, re-export and dynamic import() of one file, with the local names it binds. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (specifier: string, names: string[]) => {
    const to = targetFeature(file, specifier);
    const from = featureOf(file);
    if (to && to !== from) found.push({ file: relative(FEATURES, file), from, to, specifier, names });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const names: string[] = [];
      if (clause?.name) names.push(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) names.push(...bindings.elements.map((e) => e.name.text));
      if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
      add(node.moduleSpecifier.text, names);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, []);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      add(node.moduleReference.expression.text, [node.name.text]);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, []);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, []);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `.use(x)` calls in a file whose argument is one of the given names (or a call of one). */
function mountedNames(file: string, names: Set<string>): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, "utf8"),
    ts.ScriptTarget.Latest,
    true,
    file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const mounted: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "use") {
      let arg = node.arguments[0];
      if (arg && ts.isCallExpression(arg)) arg = arg.expression;
      if (arg && ts.isIdentifier(arg) && names.has(arg.text)) mounted.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return mounted;
}

const files = sourceFiles(FEATURES);
const imports = files.flatMap(importsOf);

describe("feature dependencies", () => {
  test("the parser sees the imports (a guard against a test that passes by finding nothing)", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(imports.some((i) => i.to === "audit")).toBe(true);
    const typeOnly = importsOf(resolve(FEATURES, "flows/flow.api.ts"));
    expect(typeOnly.some((i) => i.to === "api-keys")).toBe(true);
  });

  test("no two feature folders import each other", () => {
    const edges = new Map<string, Import[]>();
    for (const i of imports) edges.set(`${i.from} -> ${i.to}`, [...(edges.get(`${i.from} -> ${i.to}`) ?? []), i]);
    const pairs: string[] = [];
    for (const [edge, list] of edges) {
      const [from, to] = edge.split(" -> ") as [string, string];
      const back = edges.get(`${to} -> ${from}`);
      if (from < to && back) {
        const where = [...list, ...back].map((i) => `${i.file} imports ${i.specifier}`).join("; ");
        pairs.push(`${from} <-> ${to}: ${where}`);
      }
    }
    expect(pairs).toEqual([]);
  });

  test("threads are written only by thread.service; automation and device claims write other features' tables through their services", () => {
    const writes = /\.(insert|update|delete)\(\s*(\w+)\s*\)|\b(update|insert into|delete from)\s+(threads|thread_messages)\b/g;
    const offences: string[] = [];
    for (const file of files) {
      const name = relative(FEATURES, file);
      for (const m of readFileSync(file, "utf8").matchAll(writes)) {
        const table = m[2] ?? m[4];
        const threadTable = table === "threads" || table === "threadMessages" || table === "thread_messages";
        if (threadTable && name !== "workflows/thread.service.ts") offences.push(`${name} writes ${table}`);
        else if (name.startsWith("automation/") && m[2]) offences.push(`${name} writes ${table}`);
        // A device claim moves rows of many tables: each through the service of the feature that owns it.
        else if (name === "devices/device.claim.ts" && m[2] && table !== "devices") offences.push(`${name} writes ${table}`);
      }
    }
    expect(offences).toEqual([]);
  });

  test("live topic names are built only in src/lib/live-topics.ts", () => {
    const SRC = resolve(FEATURES, "..");
    const literal = /[`'"](org|device|instance):\$\{|'org', [\w.]+, '(inbox|events)'/;
    const offences = sourceFiles(SRC)
      .filter((file) => !file.endsWith("lib/live-topics.ts") && literal.test(readFileSync(file, "utf8")))
      .map((file) => relative(SRC, file));
    expect(offences).toEqual([]);
  });

  test("no feature mounts another feature's routes (src/routes.ts mounts them all)", () => {
    const offences: string[] = [];
    for (const file of files) {
      const foreign = new Set(imports.filter((i) => i.file === relative(FEATURES, file)).flatMap((i) => i.names));
      for (const name of mountedNames(file, foreign)) offences.push(`${relative(FEATURES, file)} mounts ${name}`);
    }
    expect(offences).toEqual([]);
  });
});
