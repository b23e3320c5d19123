import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * Views only render: they take data as props. They may import types from anywhere and values from
 * schemas (limits, enums), lib helpers and other views, but no value from a service, a route module,
 * the database client or a worker. Biome's restricted-imports rule cannot tell a type-only import
 * from a value import, so this rule lives here.
 */
const ROOT = resolve(import.meta.dir, "../..");
const FORBIDDEN = /^@\/(features\/[^/]+\/[^/]+\.(service|api|pages|plugin)|db\/client|workers)(\.tsx?)?$/;

function views(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return views(path);
    return entry.name.endsWith(".tsx") ? [path] : [];
  });
}

/** Value imports (not `import type`, not only `{ type X }` specifiers) of one file. */
function valueImports(file: string, text = readFileSync(file, "utf8")): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const clause = statement.importClause;
    if (clause?.isTypeOnly) continue;
    const named = clause?.namedBindings;
    const onlyTypes = clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
    if (onlyTypes) continue;
    found.push(statement.moduleSpecifier.text);
  }
  return found;
}

test("the rule sees value imports and lets type-only imports through", () => {
  const sample = [
    'import type { A } from "@/features/x/x.service";',
    'import { type B } from "@/features/x/x.service";',
    'import { c } from "@/features/x/x.service";',
    'import { LIMITS } from "@/features/x/x.schema";',
  ].join("\n");
  expect(valueImports("sample.tsx", sample).filter((s) => FORBIDDEN.test(s))).toEqual(["@/features/x/x.service"]);
});

test("views import no value from services, routes, the database or workers", () => {
  const offences = views(join(ROOT, "views")).flatMap((file) =>
    valueImports(file)
      .filter((specifier) => FORBIDDEN.test(specifier))
      .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
  );
  expect(offences).toEqual([]);
});
