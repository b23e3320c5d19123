import { z } from "zod";
import { INSTANCE_STATUSES, PROVIDERS } from "@/db/schema";
import { UNCLAIMED_LIMITS } from "@/features/limits/limits.service";
import type { Instance } from "@/providers/provider";

export const INSTANCE_LIMITS = {
  nameMax: 80,
  cloudFieldMax: 500,
  messagesPerDayMax: 10_000_000,
  pageMax: 100,
  pageDefault: 50,
} as const;

/** Instances an unclaimed visitor device may create (try before sign-up): one sandbox number. */
export const VISITOR_MAX_INSTANCES = 1;
/** Daily message limit of an unclaimed visitor's sandbox instance (no plan yet): the platform's unclaimed default. */
export const VISITOR_MAX_MESSAGES_PER_DAY = UNCLAIMED_LIMITS.maxMessagesPerDay;

const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);

const instanceName = z
  .string({ message: "Enter a name" })
  .trim()
  .min(1, "Enter a name")
  .max(INSTANCE_LIMITS.nameMax, `At most ${INSTANCE_LIMITS.nameMax} characters`);

const cloudField = (label: string) =>
  z
    .string({ message: `Enter the ${label}` })
    .trim()
    .min(1, `Enter the ${label}`)
    .max(INSTANCE_LIMITS.cloudFieldMax, `At most ${INSTANCE_LIMITS.cloudFieldMax} characters`);

/** Meta WhatsApp Cloud API credentials of one number; accessToken, appSecret and verifyToken are secrets. */
export const cloudConfigSchema = z.object({
  phoneNumberId: cloudField("phone number id").regex(/^\d+$/, "The phone number id is numeric"),
  accessToken: cloudField("access token"),
  appSecret: cloudField("app secret"),
  verifyToken: cloudField("verify token"),
});
export type CloudConfigInput = z.infer<typeof cloudConfigSchema>;

const dailyLimit = z.preprocess(
  (v) => (v === "" ? null : v),
  z.coerce
    .number({ message: "Enter a whole number" })
    .int("Enter a whole number")
    .min(1, "Must be at least 1")
    .max(INSTANCE_LIMITS.messagesPerDayMax, `Must be at most ${INSTANCE_LIMITS.messagesPerDayMax}`)
    .nullable(),
);

/**
 * `POST /v1/instances` and the create form. `config` is required for `cloud` (its credentials) and
 * ignored for the others: sandbox needs nothing, WuzAPI users are provisioned with the admin token.
 */
export const createInstanceSchema = z
  .object({
    name: instanceName,
    provider: z.preprocess(blankToUndefined, z.enum(PROVIDERS, { message: "Choose sandbox, wuzapi or cloud" }).default("sandbox")),
    config: cloudConfigSchema.partial().optional(),
    maxMessagesPerDay: dailyLimit.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.provider !== "cloud") return;
    const parsed = cloudConfigSchema.safeParse(input.config ?? {});
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: "custom", path: ["config", ...issue.path.map(String)], message: issue.message });
    }
  });
export type CreateInstanceInput = z.infer<typeof createInstanceSchema>;

/** `PATCH /v1/instances/:id`: rename, change the daily limit (null = plan default), rotate cloud credentials. */
export const updateInstanceSchema = z.object({
  name: instanceName.optional(),
  maxMessagesPerDay: dailyLimit.optional(),
  config: cloudConfigSchema.partial().optional(),
});
export type UpdateInstanceInput = z.infer<typeof updateInstanceSchema>;

export const pairingCodeSchema = z.object({
  phone: z
    .string({ message: "Enter the phone number in international format" })
    .trim()
    .min(1, "Enter the phone number in international format")
    .max(32, "At most 32 characters"),
});

export const listInstancesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(INSTANCE_LIMITS.pageMax).default(INSTANCE_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});

export const instanceIdParams = z.object({ id: z.string() });

/** The public JSON shape of an instance: never a token, secret or encrypted blob. */
export const instanceJsonSchema = z.object({
  id: z.string(),
  organizationId: z.string().nullable(),
  name: z.string(),
  provider: z.enum(PROVIDERS),
  status: z.enum(INSTANCE_STATUSES),
  waJid: z.string().nullable(),
  waName: z.string().nullable(),
  waPictureUrl: z.string().nullable(),
  maxMessagesPerDay: z.number().nullable(),
  config: z.record(z.string(), z.unknown()),
  lastConnectedAt: z.string().nullable(),
  lastActivityAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type InstanceJson = z.infer<typeof instanceJsonSchema>;

export const connectResultSchema = z.object({
  status: z.enum(INSTANCE_STATUSES),
  qr: z.object({ code: z.string(), image: z.string() }).optional(),
});

/** Provider config keys that are safe to show (everything else is a secret or internal). */
const PUBLIC_CONFIG_KEYS = ["phoneNumberId", "businessAccountId"];

export function instanceJson(instance: Instance): InstanceJson {
  const config: Record<string, unknown> = {};
  for (const key of PUBLIC_CONFIG_KEYS) {
    if (instance.providerConfig?.[key] !== undefined) config[key] = instance.providerConfig[key];
  }
  if (instance.provider === "cloud") {
    for (const secret of ["accessToken", "appSecret", "verifyToken"]) {
      config[`${secret}Set`] = typeof instance.providerConfig?.[`${secret}Enc`] === "string";
    }
  }
  return {
    id: instance.id,
    organizationId: instance.organizationId,
    name: instance.name,
    provider: instance.provider,
    status: instance.status,
    waJid: instance.waJid,
    waName: instance.waName,
    waPictureUrl: instance.waPictureUrl,
    maxMessagesPerDay: instance.maxMessagesPerDay,
    config,
    lastConnectedAt: instance.lastConnectedAt?.toISOString() ?? null,
    lastActivityAt: instance.lastActivityAt?.toISOString() ?? null,
    createdAt: instance.createdAt.toISOString(),
    updatedAt: instance.updatedAt.toISOString(),
  };
}

/** The admin's sandbox simulator: a contact writing a text to the instance. */
export const simulateInboundSchema = z.object({
  from: z.string({ message: "Enter the sender's phone number" }).trim().min(1, "Enter the sender's phone number").max(40),
  name: z.preprocess(blankToUndefined, z.string().trim().max(100, "At most 100 characters").optional()),
  text: z.string({ message: "Enter the text" }).trim().min(1, "Enter the text").max(4096, "At most 4096 characters"),
});

/** The create form posts flat fields; the API nests cloud credentials under `config`. */
export function createInputFromForm(form: Record<string, unknown>): Record<string, unknown> {
  const str = (k: string) => (typeof form[k] === "string" ? (form[k] as string) : undefined);
  const provider = str("provider") || "sandbox";
  return {
    name: str("name") ?? "",
    provider,
    ...(provider === "cloud"
      ? { config: { phoneNumberId: str("phoneNumberId"), accessToken: str("accessToken"), appSecret: str("appSecret"), verifyToken: str("verifyToken") } }
      : {}),
  };
}
