import proxyaddr from "proxy-addr";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");
const optionalUrl = z
  .string()
  .url()
  .optional()
  .or(z.literal("").transform(() => undefined));
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

/** Trusted reverse proxies: their addresses/CIDRs, or how many hops in front of us are proxies (0/[] = none). */
export type TrustedProxies = string[] | number;

function parseTrustedProxies(value: string): TrustedProxies | null {
  const text = value.trim();
  if (text === "") return [];
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(entries);
    return entries;
  } catch {
    return null;
  }
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Bind address: 0.0.0.0 (every IPv4 interface), 127.0.0.1 behind a local proxy, :: for IPv6. */
  HOST: z.string().trim().min(1).default("0.0.0.0"),
  APP_URL: optionalUrl,
  DATABASE_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default("./data"),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  APP_SECRET: optionalText,
  REDIS_URL: optionalUrl,
  SIGNUP: z.enum(["open", "invite", "approval", "closed"]).default("open"),
  ALLOW_PRIVATE_WEBHOOK_TARGETS: bool,
  WORKERS: z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => v !== "false" && v !== "0"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Provider webhooks carry inline (base64) media, so /hooks/* accepts larger bodies. */
  HOOKS_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(16_777_216),
  WUZAPI_URL: optionalUrl,
  WUZAPI_ADMIN_TOKEN: optionalText,
  WUZAPI_HMAC_KEY: optionalText,
  CLOUD_API_BASE: z.string().url().default("https://graph.facebook.com/v21.0"),
  AST_URL: optionalUrl,
  AST_SECRET: optionalText,
  OPENAI_BASE_URL: z.string().url().default("https://api.openai.com/v1"),
  OPENAI_API_KEY: optionalText,
  /** Voice transcription (organizations turn it on in Settings): any OpenAI-compatible `POST {base}/audio/transcriptions`. */
  TRANSCRIBE_BASE_URL: z.string().url().default("https://api.openai.com/v1"),
  TRANSCRIBE_API_KEY: optionalText,
  TRANSCRIBE_MODEL: z.string().trim().min(1).max(200).default("whisper-1"),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GOOGLE_CLIENT_ID: optionalText,
  GOOGLE_CLIENT_SECRET: optionalText,
  OIDC_NAME: z.string().default("Single sign-on"),
  OIDC_CLIENT_ID: optionalText,
  OIDC_CLIENT_SECRET: optionalText,
  OIDC_AUTHORIZATION_URL: optionalUrl,
  OIDC_TOKEN_URL: optionalUrl,
  OIDC_USERINFO_URL: optionalUrl,
  /** Bearer token for GET /metrics; unset = only loopback clients that are not proxied may scrape. */
  METRICS_TOKEN: optionalText,
  /**
   * Who may set X-Forwarded-For: comma-separated CIDRs/addresses of our reverse proxies (or
   * proxy-addr's names loopback, linklocal, uniquelocal), or a number of proxy hops; unset = nobody.
   */
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || parseTrustedProxies(v) !== null,
      "comma-separated CIDRs or addresses (e.g. 10.0.0.0/8,127.0.0.1), or a hop count (e.g. 1)",
    )
    .transform((v): TrustedProxies => (v === undefined ? [] : parseTrustedProxies(v)!)),
  /** smtp:// or smtps:// URL (credentials inside); unset = no email, the admin shows links instead. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "must be an smtp:// or smtps:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  MAIL_FROM: optionalText,
  /** How long a claimed webhook delivery belongs to one worker; must exceed the 15 s request timeout. */
  WEBHOOK_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(60),
  /** How long a stopping worker waits for in-flight webhook requests before releasing their leases. */
  WEBHOOK_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /**
   * Webhook requests in flight per process, and per endpoint below. A slot is held from the claim until
   * the attempt is recorded (the lease is what the cross-process count sees), about 30 ms under load:
   * at 16 per endpoint and 64 per process, 500 events/s to 3 endpoints queued for longer and longer
   * (bench: e2e p50 0.3 → 0.8 s over a 2 s run); 32 and 128 held it flat at 35 ms.
   */
  WEBHOOK_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(128),
  /** Webhook requests in flight per endpoint across all processes, so one slow subscriber cannot starve the rest. */
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: z.coerce.number().int().min(1).max(100).default(32),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  WEBHOOK_CURSOR_LINGER_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  WEBHOOK_CURSOR_GATHER_MS: z.coerce.number().int().min(0).max(1_000).default(5),
  /** Largest media file fetched or uploaded; unset = HOOKS_MAX_BODY_BYTES (the largest inline media a webhook can carry). */
  MEDIA_MAX_BYTES: z.coerce.number().int().min(1024).optional(),
  /** How long a signed media URL (in API answers, events and the inbox) stays valid. */
  MEDIA_URL_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(3600),
  /** S3-compatible media store (Bun's S3Client); unset = files under DATA_DIR/media. */
  S3_BUCKET: optionalText,
  S3_ENDPOINT: optionalUrl,
  S3_REGION: optionalText,
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
});

/** WuzAPI refuses HMAC keys shorter than this (its own minimum), so a shorter one fails only at pairing time. */
export const WUZAPI_HMAC_KEY_MIN = 32;

/** Rules across variables, reported like single-variable ones (naming the variable). */
const checkedEnvSchema = envSchema.superRefine((e, ctx) => {
  if (!e.WUZAPI_URL) return;
  if (!e.WUZAPI_HMAC_KEY) {
    ctx.addIssue({ code: "custom", path: ["WUZAPI_HMAC_KEY"], message: "required when WUZAPI_URL is set (WuzAPI webhooks are refused unsigned)" });
  } else if (e.WUZAPI_HMAC_KEY.length < WUZAPI_HMAC_KEY_MIN) {
    ctx.addIssue({ code: "custom", path: ["WUZAPI_HMAC_KEY"], message: `must be at least ${WUZAPI_HMAC_KEY_MIN} characters (WuzAPI's minimum)` });
  }
});

function parseEnv(env: Record<string, string | undefined>) {
  const parsed = checkedEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const appUrl = (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");
  return {
    port: e.PORT,
    host: e.HOST,
    appUrl,
    secureCookies: appUrl.startsWith("https://"),
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    dbPoolMax: e.DB_POOL_MAX,
    appSecret: e.APP_SECRET,
    redisUrl: e.REDIS_URL,
    signup: e.SIGNUP,
    allowPrivateWebhookTargets: e.ALLOW_PRIVATE_WEBHOOK_TARGETS,
    workers: e.WORKERS,
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    hooksMaxBodyBytes: e.HOOKS_MAX_BODY_BYTES,
    metricsToken: e.METRICS_TOKEN,
    trustedProxies: e.TRUSTED_PROXIES,
    webhookDelivery: {
      leaseSeconds: e.WEBHOOK_LEASE_SECONDS,
      drainTimeoutMs: e.WEBHOOK_DRAIN_TIMEOUT_MS,
      maxInFlight: e.WEBHOOK_MAX_IN_FLIGHT,
      maxInFlightPerEndpoint: e.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
      pollMs: e.WEBHOOK_POLL_MS,
      lingerMs: e.WEBHOOK_CURSOR_LINGER_MS,
      gatherMs: e.WEBHOOK_CURSOR_GATHER_MS,
    },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? `LivChat <no-reply@${new URL(appUrl).hostname}>`,
    wuzapi: { url: e.WUZAPI_URL, adminToken: e.WUZAPI_ADMIN_TOKEN, hmacKey: e.WUZAPI_HMAC_KEY },
    cloudApiBase: e.CLOUD_API_BASE.replace(/\/$/, ""),
    media: {
      maxBytes: e.MEDIA_MAX_BYTES ?? e.HOOKS_MAX_BODY_BYTES,
      urlTtlSeconds: e.MEDIA_URL_TTL_SECONDS,
      s3: e.S3_BUCKET
        ? { bucket: e.S3_BUCKET, endpoint: e.S3_ENDPOINT, region: e.S3_REGION, accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
        : undefined,
    },
    ast: { url: e.AST_URL?.replace(/\/$/, ""), secret: e.AST_SECRET },
    openai: { baseUrl: e.OPENAI_BASE_URL.replace(/\/$/, ""), apiKey: e.OPENAI_API_KEY },
    transcribe: { baseUrl: e.TRANSCRIBE_BASE_URL.replace(/\/$/, ""), apiKey: e.TRANSCRIBE_API_KEY, model: e.TRANSCRIBE_MODEL },
    oauth: {
      github: e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET ? { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET } : undefined,
      google: e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET ? { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET } : undefined,
      oidc:
        e.OIDC_CLIENT_ID && e.OIDC_AUTHORIZATION_URL && e.OIDC_TOKEN_URL && e.OIDC_USERINFO_URL
          ? {
              name: e.OIDC_NAME,
              clientId: e.OIDC_CLIENT_ID,
              clientSecret: e.OIDC_CLIENT_SECRET ?? null,
              authorizationUrl: e.OIDC_AUTHORIZATION_URL,
              tokenUrl: e.OIDC_TOKEN_URL,
              userinfoUrl: e.OIDC_USERINFO_URL,
            }
          : undefined,
    },
  };
}

export type Config = ReturnType<typeof parseEnv>;

/**
 * Parsed once at import. Tests may mutate fields (e.g. `config.signup = "closed"`) because each
 * test file runs in its own module registry.
 */
export const config: Config = parseEnv(process.env);
export { parseEnv };
