/**
 * The rows `bun run bench` always produces (SPEC §10), in print order. A scenario that fails to run
 * still writes its rows (figure null, pass false, `error`), so the smoke test can check that every
 * row is present and the suite cannot silently lose a scenario.
 */
export const BENCH_ROWS = [
  "api.auth_route_vs_bare_hello",
  "api_key.verify_cached_p99",
  "api_key.revocation_propagation",
  "inbound.ingest_rate",
  "inbound.cpu_postgres_ms_per_event",
  "inbound.cpu_app_ms_per_event",
  "inbound.cpu_subscribers_ms_per_event",
  "inbound.cpu_load_generator_ms_per_event",
  "inbound.e2e_p50",
  "inbound.e2e_p99",
  "inbound.e2e_lost",
  "inbound.e2e_duplicated",
  "pages.inbox_p95",
  "pages.inbox_conversation_p95",
  "pages.delivery_log_p95",
  "inbox.search_p95",
  "knowledge.top3_hit_rate_fts",
  "knowledge.top3_hit_rate_hybrid",
  "reports.conversations_p95",
  "contacts.import_rows_per_s",
  "contacts.import_rss_peak",
  "history.ingest_rate",
  "history.events_page_p95",
  "app.rss_peak",
] as const;

export type BenchRowId = (typeof BENCH_ROWS)[number];

export type BenchRow = {
  scenario: BenchRowId;
  /** The measured value, in `unit`. */
  figure: number | null;
  /** The comparison measured in the same run (see `baselineLabel`). */
  baseline: number | null;
  /** figure / baseline. */
  ratio: number | null;
  /** Human-readable target, e.g. "< 1 ms" or "ratio ≥ 0.60". */
  target: string;
  pass: boolean;
  unit: string;
  baselineLabel: string;
  /** Extra figures worth reading next to the main one (p50, counts, settings). */
  detail?: string;
  error?: string;
};

export type BenchReport = {
  generatedAt: string;
  mode: "quick" | "full";
  machine: { cpus: number; cpuModel?: string; loadAverage: number[]; bun: string; postgres?: string; postgresSettings?: string; loadTool: string };
  durationSeconds: number;
  rows: BenchRow[];
};
