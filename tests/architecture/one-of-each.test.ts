import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseEnv } from "@/config";
import { isUuid } from "@/lib/ids";

/** Issue 15 "one of each": each rule below lives in exactly one module; these guards keep it so. */
const ROOT = resolve(import.meta.dir, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Files under src/ whose text matches, as paths relative to the repository. */
function filesMatching(pattern: RegExp): string[] {
  return sourceFiles(join(ROOT, "src"))
    .filter((file) => pattern.test(readFileSync(file, "utf8")))
    .map((file) => relative(ROOT, file))
    .sort();
}

describe("one id check", () => {
  test("isUuid accepts any uuid shape, in either case, and nothing else", () => {
    expect(isUuid("0190a8f2-1c3d-7e4f-8a9b-0c1d2e3f4a5b")).toBe(true);
    expect(isUuid("0190A8F2-1C3D-7E4F-8A9B-0C1D2E3F4A5B")).toBe(true);
    expect(isUuid("00000000-0000-0000-0000-000000000000")).toBe(true);
    for (const bad of ["", "not-a-uuid", "0190a8f2-1c3d-7e4f-8a9b-0c1d2e3f4a5", "0190a8f2-1c3d-7e4f-8a9b-0c1d2e3f4a5b ", "'; drop table x; --"]) {
      expect(isUuid(bad)).toBe(false);
    }
  });

  test("the uuid pattern is written once, in src/lib/ids.ts", () => {
    expect(filesMatching(/\[0-9a-f\]\{8\}/i)).toEqual(["src/lib/ids.ts"]);
  });
});

describe("one configuration", () => {
  test("only src/config.ts reads the environment", () => {
    expect(filesMatching(/process\.env|Bun\.env/)).toEqual(["src/config.ts"]);
  });

  test("WEBHOOK_* settings are parsed and checked there, with their defaults", () => {
    expect(parseEnv({}).webhookDelivery).toEqual({
      leaseSeconds: 60,
      drainTimeoutMs: 10_000,
      maxInFlight: 128,
      maxInFlightPerEndpoint: 32,
      pollMs: 1000,
      lingerMs: 250,
      gatherMs: 5,
    });
    expect(parseEnv({ WEBHOOK_LEASE_SECONDS: "90", WEBHOOK_POLL_MS: "250" }).webhookDelivery).toMatchObject({ leaseSeconds: 90, pollMs: 250 });
    expect(() => parseEnv({ WEBHOOK_MAX_IN_FLIGHT: "0" })).toThrow(/WEBHOOK_MAX_IN_FLIGHT/);
    expect(() => parseEnv({ WEBHOOK_POLL_MS: "soon" })).toThrow(/WEBHOOK_POLL_MS/);
  });

  test("every setting config.ts parses is in the README's table", () => {
    const settings = [...readFileSync(join(ROOT, "src/config.ts"), "utf8").matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(settings).toContain("WEBHOOK_POLL_MS");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(settings.filter((name) => !readme.includes(`| \`${name}\``) && !readme.includes(`/ \`${name}\``))).toEqual([]);
  });
});

describe("one instance lookup", () => {
  test("only src/lib/tenant.ts answers 404 for an instance id a caller sent", () => {
    expect(filesMatching(/tText\("instances:errors\.notFound"\)/)).toEqual(["src/lib/tenant.ts"]);
  });
});

describe("one caller shape", () => {
  test("actor types are derived from src/lib/caller.ts, not written out again", () => {
    expect(filesMatching(/type: "user" \| "api_key"/)).toEqual([]);
    // The { actor, request } pair is gone altogether: the Caller carries both (tests/architecture/caller.test.ts).
    expect(filesMatching(/\{ actor: AuditActor; request\?: Request \}/)).toEqual([]);
  });
});

describe("dead code", () => {
  test("names the issue lists as dead stay gone", () => {
    expect(filesMatching(/\b(rateLimitedRequests|noteSchema|KNOWN_AUDIT_ACTIONS|VISITOR_MAX_MESSAGES_PER_DAY)\b|csrf_token/)).toEqual([]);
  });
});

describe("one keyset pager", () => {
  test("lists page through src/lib/pager.ts; only the events feed keeps its own id cursor (shared with `after` polling)", () => {
    expect(filesMatching(/\.limit\([^)]*\+ 1\)/)).toEqual(["src/features/events/event.service.ts"]);
    expect(filesMatching(/base64url/).filter((f) => /cursor/i.test(readFileSync(join(ROOT, f), "utf8")))).toEqual(["src/lib/pager.ts"]);
  });
});

describe("one job mechanism", () => {
  test("only src/workers/jobs.ts builds a SKIP LOCKED claim (SQL or Drizzle's skipLocked)", () => {
    expect(filesMatching(/for\s+(no\s+key\s+)?update\s+skip\s+locked|skipLocked/i)).toEqual(["src/workers/jobs.ts"]);
  });

  test("retry waits come from jobs.backoffDelayMs, not from indexing a schedule array by hand", () => {
    expect(filesMatching(/\b\w*(BACKOFF|SCHEDULE)\w*\[/)).toEqual([]);
    expect(filesMatching(/backoffDelayMs\(/)).toEqual(
      expect.arrayContaining([
        "src/features/media/media.service.ts",
        "src/features/webhooks/delivery.send.ts",
        "src/workers/jobs.ts",
        "src/workers/outbound.worker.ts",
      ]),
    );
  });

  test("only src/workers/jobs.ts runs a polling loop over LISTEN; every job worker is a jobLoop", () => {
    const workers = sourceFiles(join(ROOT, "src"))
      .filter((file) => /registerWorker\(/.test(readFileSync(file, "utf8")))
      .map((file) => relative(ROOT, file))
      .filter((file) => file !== "src/workers/registry.ts" && file !== "src/workers/jobs.ts");
    const listeners = filesMatching(/\blisten\(\w+_CHANNEL|\blisten\(channel/).filter((f) => workers.includes(f) || f.startsWith("src/workers/"));
    expect(listeners).toEqual(["src/workers/jobs.ts"]);
    expect(workers).toContain("src/workers/outbound.worker.ts");
    // A worker file that claims rows does so through a jobLoop, never a hand-written timer loop.
    for (const file of workers.filter((f) => /claimDue|lease/i.test(readFileSync(join(ROOT, f), "utf8")))) {
      expect({ file, jobLoop: /jobLoop\(/.test(readFileSync(join(ROOT, file), "utf8")) }).toEqual({ file, jobLoop: true });
    }
  });
});
