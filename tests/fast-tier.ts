// `bun run test`: the fast tier, for the edit-test loop (under 3 minutes on a 2-core machine: 98 files
// in 161 s on 2026-12-03, with other work running).
// `bun run test:all` runs every file, as CI does (.ci/run). Extra arguments pass through to `bun test`.
//
// Left out, by kind: files that drive Chromium, start other processes (a second app, a worker, the
// real boot) or run the benchmark; and, by measurement, every other file that took over 20 s on its own
// (`bun test --isolate <file>`, one at a time, on the shared 2-core machine on 2026-12-03; seconds in
// brackets). A new slow file belongs here, with its time.
const SLOW = [
  // Chromium (tests/helpers/browser.ts)
  "**/*browser*",
  "tests/ui/**",
  // other processes
  "tests/bench/**",
  "tests/boot/**",
  "tests/api-keys/cross-process.test.ts",
  "tests/webhooks/processes.test.ts",
  "tests/campaigns/processes.test.ts", // [41] dispatcher processes killed with SIGKILL and sharing a campaign
  "tests/campaigns/pacing.test.ts", // [60] a controllable clock stepped through four days of active hours
  "tests/sinks/processes.test.ts", // the delivery worker killed and restarted, against NATS and RabbitMQ
  "tests/robustness/inbound-vs-send.test.ts",
  "tests/limits/limits.test.ts", // a second app sharing Redis
  "tests/triggers/regex.test.ts", // a second app whose event loop is watched
  // measured over 20 s
  "tests/messages/api.test.ts", // [110]
  "tests/registrations/registration.test.ts", // [82]
  "tests/robustness/hostile.test.ts", // [81] every route × hostile inputs
  "tests/account/account.test.ts", // [71]
  "tests/auth/login.test.ts", // [65]
  "tests/automation/bound-workflow.test.ts", // [48]
  "tests/auth/signup.test.ts", // [45]
  "tests/auth/csrf-session.test.ts", // [31]
  "tests/members/member.service.test.ts", // [31]
  "tests/account/two-factor.test.ts", // [30]
  "tests/members/member.pages.test.ts", // [22]
  "tests/flows/try.test.ts", // [22]
  "tests/organizations/i18n.test.ts", // [20]
  "tests/knowledge/pglite.test.ts", // [31] every migration applied to an embedded PGlite (pgvector, unaccent)
  "tests/satisfaction/satisfaction.test.ts", // [21] surveys through the sandbox, the NPS dashboard and pages (2026-12-04)
  "tests/campaigns/csv-audience.test.ts", // [20–31] a 12 000-row contact import and a campaign audience read back from it (2026-12-04)
  "tests/retention/migration.test.ts", // [50] the partitioning migrations over seeded rows, on Postgres and on an embedded PGlite (2026-12-04)
  "tests/retention/pglite-boot.test.ts", // [41] the real boot on a fresh PGlite (another process)
];

const run = Bun.spawn(
  ["bun", "test", "--isolate", "--parallel=2", "--timeout=30000", ...SLOW.map((pattern) => `--path-ignore-patterns=${pattern}`), ...process.argv.slice(2)],
  { stdio: ["inherit", "inherit", "inherit"] },
);
void run.exited.then((code) => process.exit(code));
