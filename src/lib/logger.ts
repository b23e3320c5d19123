import { config } from "@/config";

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof levels, "silent">;

/** Five characters with a digit: every SQLSTATE has one, Node's EPIPE-style codes do not. */
const SQLSTATE = /^(?=.*\d)[0-9A-Z]{5}$/;

/** The Postgres error in an error's cause chain (Drizzle wraps the driver's), if any. */
function postgresErrorOf(err: unknown): Record<string, unknown> | undefined {
  let current: unknown = err;
  for (let depth = 0; current && typeof current === "object" && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && SQLSTATE.test(code)) return current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Drizzle's wrapper: its message is the SQL and every parameter (message bodies, phones, names). */
const isQueryError = (err: unknown): boolean => err instanceof Error && (err.name === "DrizzleQueryError" || ("query" in err && "params" in err));

/**
 * What a log line may say about an error. A database error is reduced to its SQLSTATE and the
 * constraint, table and column it names: its message, detail and Drizzle's wrapper carry SQL
 * parameters (and Postgres repeats bad input values in messages like 22P02's). Other errors keep
 * their name and message.
 */
export function describeError(err: unknown): string | Record<string, unknown> {
  const pg = postgresErrorOf(err);
  if (pg) {
    const pick = (...names: string[]) => names.map((n) => pg[n]).find((v) => typeof v === "string" && v !== "");
    return {
      code: pg.code,
      constraint: pick("constraint_name", "constraint"),
      table: pick("table_name", "table"),
      column: pick("column_name", "column"),
    };
  }
  if (isQueryError(err)) {
    const cause = (err as Error).cause;
    return `query failed (${cause instanceof Error ? `${cause.name}: ${cause.message}` : "no driver error"})`;
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** describeError as one line, for a reason stored where users read it (a message's `error`). */
export function errorText(err: unknown): string {
  const described = describeError(err);
  if (typeof described === "string") return described;
  return `database error ${described.code}${described.constraint ? ` (${described.constraint})` : ""}`;
}

/** An error's stack for a log line, or nothing for database errors (their first line is the SQL and its parameters). */
export function stackOf(err: unknown): string | undefined {
  if (!(err instanceof Error) || postgresErrorOf(err) || isQueryError(err)) return undefined;
  return err.stack;
}

/** Text some caller made of a Drizzle error with String(err) or err.message: cut before the SQL. */
const QUERY_TEXT = /Failed query:[\s\S]*/;

function safeValue(value: unknown): unknown {
  if (value instanceof Error) return describeError(value);
  if (typeof value === "string" && value.includes("Failed query:")) return value.replace(QUERY_TEXT, "query failed (SQL and parameters withheld)");
  return value;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>) {
  if (levels[level] < levels[config.logLevel]) return;
  const safe: Record<string, unknown> = {};
  if (fields) for (const [key, value] of Object.entries(fields)) safe[key] = safeValue(value);
  const line = JSON.stringify({ level, time: new Date().toISOString(), msg, ...safe });
  (level === "error" || level === "warn" ? console.error : console.log)(line);
}

/**
 * Structured JSON logs on stdout/stderr, one line each. Pass caught errors as they are (`{ err }`):
 * the logger reduces database errors to their code and constraint, so no SQL parameter (a message
 * body, a phone number, a name) is ever written.
 */
export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};
