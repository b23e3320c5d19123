import { tText } from "@/lib/i18n";

export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** The path exists under other methods (the `Allow` header lists them). */
  method_not_allowed: 405,
  conflict: 409,
  /** Another request with this Idempotency-Key is still being processed (Stripe's idempotency_key_in_use). */
  idempotency_key_in_use: 409,
  payload_too_large: 413,
  /** A `/v1` body that is not JSON (nor a type the route declares). */
  unsupported_media_type: 415,
  validation_failed: 422,
  /** An Idempotency-Key reused with a different request body. */
  idempotency_mismatch: 422,
  /** The instance's provider cannot do what was asked (the message names the provider and the feature). */
  unsupported_by_provider: 422,
  /** A free-form message on a Cloud API number more than 24 hours after the contact last wrote (the message names the approved templates). */
  outside_customer_window: 422,
  rate_limited: 429,
  quota_exceeded: 429,
  internal: 500,
  provider_error: 502,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type FieldError = { path: string; message: string };

/** An expected failure with a public message; onError turns it into the JSON envelope or an error page. */
export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: FieldError[],
    public readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

// Default messages are read when the error is made, inside the request: they speak its language.
/** `what` is a legacy English noun ("Instance not found"); features pass their own translated message to AppError instead. */
export const notFound = (what?: string) => new AppError("not_found", what ? `${what} not found` : tText("common:errors.resourceNotFound"));
export const forbidden = (message = tText("common:errors.permission")) => new AppError("forbidden", message);
export const unauthorized = (message = tText("common:errors.authenticationRequired")) => new AppError("unauthorized", message);
export const conflict = (message: string) => new AppError("conflict", message);
export const validationFailed = (details: FieldError[], message = tText("common:errors.invalidFields")) => new AppError("validation_failed", message, details);

/** The Postgres SQLSTATE of a driver or Drizzle error (Drizzle wraps it in `cause`). */
export function pgCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps database constraint errors to public errors that never carry SQL. */
export function fromDatabaseError(err: unknown): AppError | undefined {
  switch (pgCode(err)) {
    case "23505":
      return conflict(tText("common:errors.duplicate"));
    case "23503":
      return new AppError("validation_failed", tText("common:errors.referenceMissing"));
    case "22P02":
    case "22007":
    case "22008":
      return new AppError("bad_request", tText("common:errors.invalidFormat"));
    case "22001":
      return new AppError("validation_failed", tText("common:errors.tooLong"));
    // NUL bytes and other characters Postgres text/jsonb cannot hold.
    case "22021":
    case "22P05":
      return new AppError("validation_failed", tText("common:errors.unstorableCharacters"));
    // A deadlock victim or serialization failure stored nothing: the client may simply retry
    // (hot paths retry themselves first, through withDeadlockRetry in src/db/lock-order.ts).
    case "40P01":
    case "40001":
      return new AppError("unavailable", tText("common:errors.busy"), undefined, { "retry-after": "1" });
    default:
      return undefined;
  }
}

/** zod issues → `[{path, message}]`. */
export function zodDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join(".") || "(body)", message: i.message }));
}

export type ErrorBody = { error: { code: string; message: string; details?: FieldError[]; requestId: string } };

export function errorBody(err: AppError, requestId: string): ErrorBody {
  return {
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}), requestId },
  };
}
