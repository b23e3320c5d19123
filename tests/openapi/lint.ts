// `bun run lint:openapi`: writes the app's live /openapi.json to a temporary file (in process, through
// app.handle: no server, no database) and lints it with Redocly CLI under redocly.yaml. Exit code 0 = clean.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Building the document reads route schemas only; postgres.js connects on the first query, which never comes.
process.env.DATABASE_URL ??= "postgres://127.0.0.1:1/openapi-lint";
process.env.WORKERS = "false";
process.env.LOG_LEVEL ??= "error";
process.env.APP_SECRET ??= "openapi-lint-openapi-lint-openapi-lint";

const ROOT = resolve(import.meta.dir, "../..");
const { createApp } = await import("../../src/app");
const res = await createApp().handle(new Request("http://localhost/openapi.json"));
if (res.status !== 200) {
  console.error(`GET /openapi.json answered ${res.status}`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), "livchat-openapi-"));
const file = join(dir, "openapi.json");
writeFileSync(file, await res.text());
// Redocly's CLI run by Bun (its own shebang would pick whatever Node is installed).
const lint = Bun.spawnSync([process.execPath, join(ROOT, "node_modules/@redocly/cli/bin/cli.js"), "lint", file, "--config", join(ROOT, "redocly.yaml")], {
  cwd: ROOT,
  stdout: "inherit",
  stderr: "inherit",
  env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
});
rmSync(dir, { recursive: true, force: true });
process.exit(lint.exitCode ?? 1);
