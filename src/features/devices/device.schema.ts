import { z } from "zod";
import { tText } from "@/lib/i18n";
import { DEVICE_KINDS } from "@/db/schema";
import { API_KEY_LIMITS, API_KEY_SCOPES, keyExpiresAtSchema, optionalPositiveInt } from "@/features/api-keys/api-key.schema";

export const DEVICE_LIMITS = { nameMax: 100 } as const;

/** Scopes of a key created together with a device when the caller names none. */
export const DEFAULT_DEVICE_KEY_SCOPES = ["instances:read", "instances:write", "messages:read", "messages:write", "contacts:read"] as const;

const TRUE_STRINGS = new Set(["on", "true", "1"]);
const FALSE_STRINGS = new Set(["off", "false", "0", ""]);
/** Checkbox "on" from a form, or a JSON boolean; any other string is rejected rather than guessed. */
const checkbox = z
  .preprocess((v) => (typeof v === "string" && TRUE_STRINGS.has(v) ? true : typeof v === "string" && FALSE_STRINGS.has(v) ? false : v), z.boolean())
  .optional();

/** Registering a device, shared by `POST /v1/devices` and the admin form. */
export const createDeviceSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, { error: () => tText("devices:validation.nameRequired") })
    .max(DEVICE_LIMITS.nameMax, { error: () => tText("devices:validation.nameMax", { count: DEVICE_LIMITS.nameMax }) }),
  /** Default "server". (Defaults live in the service so the OpenAPI document shows these as optional.) */
  kind: z.enum(DEVICE_KINDS, { error: () => tText("devices:validation.kind", { kinds: DEVICE_KINDS.join(", ") }) }).optional(),
  /** Also create an API key bound to the new device; its secret is returned once. Default false. */
  createKey: checkbox,
  /** Scopes of that key (default: DEFAULT_DEVICE_KEY_SCOPES); ignored without createKey. */
  keyScopes: z
    .preprocess(
      (v) => (v === "" ? undefined : typeof v === "string" ? [v] : v),
      z.array(z.enum(API_KEY_SCOPES, { error: () => tText("devices:validation.unknownScope") })).min(1, { error: () => tText("devices:validation.scopesMin") }),
    )
    .optional(),
  /** Expiry of that key; a key created by an API key never outlives the calling key (the earlier wins). */
  keyExpiresAt: keyExpiresAtSchema,
  /** Limits of that key; a key created by an API key never gets more than the calling key has (the lower wins). */
  keyRequestsPerMinute: optionalPositiveInt(API_KEY_LIMITS.requestsPerMinuteMax),
  keyMaxMessagesPerDay: optionalPositiveInt(API_KEY_LIMITS.messagesPerDayMax),
});
export type CreateDeviceInput = z.output<typeof createDeviceSchema>;

export const deviceIdParams = z.object({ id: z.uuid({ error: () => tText("devices:validation.deviceId") }) });

export const deviceListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
});

/** A device as the API returns it. */
export const deviceResponse = z.object({
  id: z.uuid(),
  name: z.string(),
  kind: z.enum(DEVICE_KINDS),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  claimedAt: z.string().nullable(),
  createdAt: z.string(),
  status: z.enum(["active", "revoked"]),
});

/** The key created with a device: `secret` is shown this once and never again. */
export const deviceKeyResponse = z.object({
  id: z.uuid(),
  name: z.string(),
  displayPrefix: z.string(),
  scopes: z.array(z.string()),
  instanceId: z.uuid().nullable(),
  deviceId: z.uuid(),
  expiresAt: z.string().nullable(),
  requestsPerMinute: z.number().int().nullable(),
  maxMessagesPerDay: z.number().int().nullable(),
  /** The API key that created this one, which it never outlives; revoking that key revokes this one. */
  parentKeyId: z.uuid().nullable(),
  secret: z.string(),
});

export const deviceListResponse = z.object({ data: z.array(deviceResponse), nextCursor: z.string().nullable() });
export const deviceCreatedResponse = deviceResponse.extend({ apiKey: deviceKeyResponse.optional() });
