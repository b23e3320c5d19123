import { sql } from "drizzle-orm";
import { type AnyPgColumn, boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";

export const ROLES = ["owner", "admin", "supervisor", "agent"] as const;
export const LANGUAGES = ["en", "pt-BR"] as const;
export type Role = (typeof ROLES)[number];
export const DEVICE_KINDS = ["browser", "server", "mobile", "pos"] as const;
export const PROVIDERS = ["sandbox", "wuzapi", "cloud"] as const;
export const INSTANCE_STATUSES = ["disconnected", "connecting", "qr", "connected", "logged_out"] as const;

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text().notNull(),
    /** argon2id hash; null for OAuth-only accounts. */
    passwordHash: text(),
    name: text().notNull().default(""),
    avatarUrl: text(),
    /** Interface language and the language of emails to this user; set at sign-up from the visitor's. */
    language: text({ enum: LANGUAGES }).notNull().default("en"),
    /** IANA time zone, validated with Intl before it is stored; null follows the organization's zone. */
    timeZone: text(),
    /** TOTP seed encrypted with encryptSecret; set only once a code confirmed the enrolment. */
    totpSecretEnc: text(),
    /** Seed shown as a QR code while enrolling, encrypted; promoted to totpSecretEnc on confirmation. */
    totpPendingSecretEnc: text(),
    totpEnabledAt: tstz(),
    /** Last accepted TOTP time step: a code is accepted once, never replayed within its window. */
    totpLastStep: integer(),
    /** Step-up checks (second-factor codes, current password) counted per user within a window. */
    verifyAttempts: integer().notNull().default(0),
    verifyWindowStartedAt: tstz(),
    /** The first account of an empty install becomes platform admin. */
    isPlatformAdmin: boolean().notNull().default(false),
    /**
     * Null while a sign-up waits for its confirmation link (only with SMTP); such an account cannot sign
     * in. The default marks accounts made before verification existed, and every non-email path, verified.
     */
    emailVerifiedAt: tstz().default(sql`now()`),
    lastLoginAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_unique").on(sql`lower(${t.email})`)],
);

export const oauthAccounts = pgTable(
  "oauth_accounts",
  {
    id: id(),
    provider: text().notNull(),
    providerUserId: text().notNull(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("oauth_accounts_provider_user_unique").on(t.provider, t.providerUserId), index("oauth_accounts_user_idx").on(t.userId)],
);

export const organizations = pgTable("organizations", {
  id: id(),
  name: text().notNull(),
  slug: text().notNull().unique(),
  ownerId: uuid().references(() => users.id, { onDelete: "set null" }),
  plan: text().notNull().default("free"),
  maxInstances: integer().notNull().default(5),
  maxMessagesPerDay: integer().notNull().default(1000),
  apiRequestsPerMinute: integer().notNull().default(600),
  /** Admins and owners must have two-factor on before they may use this organization's admin. */
  requireTwoFactor: boolean().notNull().default(false),
  /** Default interface language of its members and of text sent to its contacts. */
  language: text({ enum: LANGUAGES }).notNull().default("pt-BR"),
  /** IANA zone every time is shown in (members may choose their own). */
  timeZone: text().notNull().default("America/Sao_Paulo"),
  /** A message its author deleted for everyone keeps its text for the audit trail (shown as deleted) unless this is off. */
  keepDeletedMessages: boolean().notNull().default(true),
  /**
   * Buttons and lists through a provider without official interactive messages (WuzAPI): its native
   * buttons (`native`, which many WhatsApp apps do not show) or numbered text (`text`, the default).
   */
  interactiveMode: text({ enum: ["text", "native"] })
    .notNull()
    .default("text"),
  /** Triggers, flows and workflows answer in group conversations too (off: groups are left to people). */
  automationInGroups: boolean().notNull().default(false),
  /** Media older than this many days is deleted by the retention sweeper (null: kept). */
  mediaRetentionDays: integer(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const sessions = pgTable(
  "sessions",
  {
    /** sha256 (hex) of the cookie token; the token itself is never stored. */
    id: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: tstz().notNull(),
    activeOrganizationId: uuid().references(() => organizations.id, { onDelete: "set null" }),
    ip: text(),
    userAgent: text(),
    /** Names the session on the account page (its id is derived from the cookie and stays private). */
    publicId: uuid().notNull().defaultRandom(),
    /** Refreshed at most every few minutes by validateSessionToken. */
    lastSeenAt: tstz(),
    createdAt: createdAt(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Password (or OAuth) accepted, second factor still owed: not a session, short-lived, few attempts. */
export const signInChallenges = pgTable(
  "sign_in_challenges",
  {
    /** sha256 (hex) of the token in the lc_2fa cookie. */
    id: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** How the first factor was passed ("password", "github", "oidc", …), for the audit. */
    method: text().notNull(),
    next: text().notNull().default("/"),
    attempts: integer().notNull().default(0),
    expiresAt: tstz().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("sign_in_challenges_user_idx").on(t.userId)],
);

export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** sha256 of the normalized code (50 random bits each); the code is shown once. */
    codeHash: text().notNull(),
    usedAt: tstz(),
    createdAt: createdAt(),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

export const memberships = pgTable(
  "memberships",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text({ enum: ROLES }).notNull(),
    departments: text().array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("memberships_org_user_unique").on(t.organizationId, t.userId), index("memberships_user_idx").on(t.userId)],
);

export const invitations = pgTable(
  "invitations",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    email: text().notNull(),
    role: text({ enum: ROLES }).notNull(),
    /** sha256 of the token in the invitation link. */
    tokenHash: text().notNull().unique(),
    invitedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    expiresAt: tstz().notNull(),
    acceptedAt: tstz(),
    acceptedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    revokedAt: tstz(),
    createdAt: createdAt(),
  },
  (t) => [index("invitations_org_idx").on(t.organizationId)],
);

export const USER_TOKEN_PURPOSES = ["password_reset", "email_verification"] as const;
export type UserTokenPurpose = (typeof USER_TOKEN_PURPOSES)[number];

/** Single-use links sent by email (password reset, address confirmation). */
export const userTokens = pgTable(
  "user_tokens",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text({ enum: USER_TOKEN_PURPOSES }).notNull(),
    /** sha256 of the token in the link; the token itself is never stored. */
    tokenHash: text().notNull().unique(),
    expiresAt: tstz().notNull(),
    /** Set when the link is used (or superseded by a newer one): a link works once. */
    usedAt: tstz(),
    createdAt: createdAt(),
  },
  (t) => [index("user_tokens_user_purpose_idx").on(t.userId, t.purpose)],
);

export const REGISTRATION_STATUSES = ["pending", "approved", "rejected"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

/**
 * Sign-ups waiting for a platform admin under `SIGNUP=approval`; the account is created on approval.
 * Seed 002's `username` and `requestedRole` are left out: accounts are known by email, and a sign-up
 * founds its own organization as owner (roles elsewhere come from invitations).
 */
export const registrationRequests = pgTable(
  "registration_requests",
  {
    id: id(),
    email: text().notNull(),
    name: text().notNull(),
    /** argon2id hash of the password chosen at sign-up, moved to the account on approval. */
    passwordHash: text().notNull(),
    organizationName: text().notNull(),
    /** The visitor's language at sign-up: the decision email's and, on approval, the account's. */
    language: text({ enum: LANGUAGES }).notNull().default("pt-BR"),
    status: text({ enum: REGISTRATION_STATUSES }).notNull().default("pending"),
    reviewedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    reviewedAt: tstz(),
    rejectionReason: text(),
    /** The account created on approval. */
    userId: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    // One open request per address: a second sign-up while one waits replaces its details.
    uniqueIndex("registration_requests_pending_email_unique").on(sql`lower(${t.email})`).where(sql`${t.status} = 'pending'`),
    index("registration_requests_status_created_idx").on(t.status, t.createdAt),
  ],
);

export const devices = pgTable(
  "devices",
  {
    id: id(),
    /** Null until a visitor's device is claimed by signing up. */
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    kind: text({ enum: DEVICE_KINDS }).notNull().default("browser"),
    ip: text(),
    userAgent: text(),
    lastSeenAt: tstz(),
    revokedAt: tstz(),
    claimedAt: tstz(),
    createdAt: createdAt(),
  },
  (t) => [index("devices_org_idx").on(t.organizationId)],
);

export const instances = pgTable(
  "instances",
  {
    id: id(),
    /** Null until the creating device is claimed. */
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    createdByDeviceId: uuid().references(() => devices.id, { onDelete: "set null" }),
    name: text().notNull(),
    provider: text({ enum: PROVIDERS }).notNull().default("sandbox"),
    providerInstanceId: text(),
    /** AES-256-GCM ciphertext (lib/crypto) of the provider token. */
    providerTokenEnc: text(),
    /** Provider configuration; secret fields are stored encrypted. */
    providerConfig: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    waJid: text(),
    waName: text(),
    waPictureUrl: text(),
    status: text({ enum: INSTANCE_STATUSES }).notNull().default("disconnected"),
    lastConnectedAt: tstz(),
    lastActivityAt: tstz(),
    claimedAt: tstz(),
    /** Overrides the organization's daily message limit for this instance. */
    maxMessagesPerDay: integer(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("instances_org_idx").on(t.organizationId),
    index("instances_device_idx").on(t.createdByDeviceId),
    index("instances_provider_id_idx").on(t.provider, t.providerInstanceId),
  ],
);

/** One stored instance row (what features pass around; adapters see its ProviderInstance subset). */
export type Instance = typeof instances.$inferSelect;

export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    deviceId: uuid().references(() => devices.id, { onDelete: "cascade" }),
    /** Null = every instance of the organization. */
    instanceId: uuid().references(() => instances.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** First characters of the key, shown in lists ("lc_live_AbCd…"). */
    displayPrefix: text().notNull(),
    /** sha256 (hex) of the full key. */
    keyHash: text().notNull().unique(),
    scopes: text().array().notNull().default(sql`'{}'::text[]`),
    requestsPerMinute: integer(),
    maxMessagesPerDay: integer(),
    expiresAt: tstz(),
    revokedAt: tstz(),
    lastUsedAt: tstz(),
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    /** The key that minted this one (devices API): never outlives or out-limits it, revoked with it. */
    parentKeyId: uuid().references((): AnyPgColumn => apiKeys.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [index("api_keys_org_idx").on(t.organizationId), index("api_keys_device_idx").on(t.deviceId), index("api_keys_parent_idx").on(t.parentKeyId)],
);

export const auditLogs = pgTable(
  "audit_logs",
  {
    id: id(),
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    actorType: text({ enum: ["user", "api_key", "device", "system"] }).notNull(),
    actorId: text(),
    action: text().notNull(),
    targetType: text(),
    targetId: text(),
    ip: text(),
    userAgent: text(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    at: createdAt(),
  },
  (t) => [index("audit_logs_org_at_idx").on(t.organizationId, t.at.desc())],
);

export const loginAttempts = pgTable(
  "login_attempts",
  {
    id: id(),
    /** "ip:1.2.3.4" or "email:a@b.c" — login throttling survives restarts and spans processes. */
    bucket: text().notNull(),
    at: createdAt(),
  },
  (t) => [index("login_attempts_bucket_at_idx").on(t.bucket, t.at)],
);
