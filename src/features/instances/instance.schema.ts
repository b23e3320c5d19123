import { z } from "zod";
import { INSTANCE_STATUSES, PROVIDERS } from "@/db/schema";
import { tText } from "@/lib/i18n";
import type { Instance } from "@/db/schema";

export const INSTANCE_LIMITS = {
  nameMax: 80,
  cloudFieldMax: 500,
  messagesPerDayMax: 10_000_000,
  pageMax: 100,
  pageDefault: 50,
} as const;

/** Instances an unclaimed visitor device may create (try before sign-up): one sandbox number. */
export const VISITOR_MAX_INSTANCES = 1;

const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);

const enterName = () => tText("instances:schema.name");
const instanceName = z
  .string({ error: enterName })
  .trim()
  .min(1, { error: enterName })
  .max(INSTANCE_LIMITS.nameMax, { error: () => tText("instances:schema.atMost", { count: INSTANCE_LIMITS.nameMax }) });

/** A required Cloud API credential; its "enter the …" message is looked up when a parse fails. */
const cloudField = (field: "phoneNumberId" | "accessToken" | "appSecret" | "verifyToken") => {
  const enter = () => tText(`instances:schema.cloudField.${field}`);
  return z
    .string({ error: enter })
    .trim()
    .min(1, { error: enter })
    .max(INSTANCE_LIMITS.cloudFieldMax, { error: () => tText("instances:schema.atMost", { count: INSTANCE_LIMITS.cloudFieldMax }) });
};

/** Meta WhatsApp Cloud API credentials of one number; accessToken, appSecret and verifyToken are secrets. */
export const cloudConfigSchema = z.object({
  phoneNumberId: cloudField("phoneNumberId").regex(/^\d+$/, { error: () => tText("instances:schema.phoneNumberIdNumeric") }),
  accessToken: cloudField("accessToken"),
  appSecret: cloudField("appSecret"),
  verifyToken: cloudField("verifyToken"),
  /** The WhatsApp Business Account id whose message templates are synced (optional; numeric). */
  wabaId: z
    .string()
    .trim()
    .max(INSTANCE_LIMITS.cloudFieldMax)
    .regex(/^\d*$/, { error: () => tText("instances:schema.wabaIdNumeric") })
    .optional(),
});

const dailyLimit = z.preprocess(
  (v) => (v === "" ? null : v),
  z.coerce
    .number({ error: () => tText("instances:schema.wholeNumber") })
    .int({ error: () => tText("instances:schema.wholeNumber") })
    .min(1, { error: () => tText("instances:schema.atLeastOne") })
    .max(INSTANCE_LIMITS.messagesPerDayMax, { error: () => tText("instances:schema.dailyMax", { count: INSTANCE_LIMITS.messagesPerDayMax }) })
    .nullable(),
);

/**
 * `POST /v1/instances` and the create form. `config` is required for `cloud` (its credentials) and
 * ignored for the others: sandbox needs nothing, WuzAPI users are provisioned with the admin token.
 */
export const createInstanceSchema = z
  .object({
    name: instanceName,
    provider: z.preprocess(blankToUndefined, z.enum(PROVIDERS, { error: () => tText("instances:schema.provider") }).default("sandbox")),
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
    .string({ error: () => tText("instances:schema.pairingPhone") })
    .trim()
    .min(1, { error: () => tText("instances:schema.pairingPhone") })
    .max(32, { error: () => tText("instances:schema.atMost", { count: 32 }) }),
});

export const listInstancesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(INSTANCE_LIMITS.pageMax).default(INSTANCE_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});

export const instanceIdParams = z.object({ id: z.string() });

/**
 * A WhatsApp connection proxy as WuzAPI takes it (`POST /session/proxy`): `http://` or `socks5://`,
 * a host, optionally `user:password@` and a port; `null` removes it.
 */
export const proxyUrlSchema = z
  .string()
  .trim()
  .max(500, { error: () => tText("instances:proxy.tooLong") })
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          (url.protocol === "http:" || url.protocol === "socks5:") &&
          !!url.hostname &&
          (url.pathname === "" || url.pathname === "/") &&
          !url.search &&
          !url.hash
        );
      } catch {
        return false;
      }
    },
    { error: () => tText("instances:proxy.invalid") },
  );
export const instanceProxySchema = z.object({ url: proxyUrlSchema.nullable() });

/** The proxy URL as shown back: the password replaced by ****. */
export function maskProxyUrl(value: string): string {
  const url = new URL(value);
  if (url.password) url.password = "****";
  return url.toString().replace(/\/$/, "");
}

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
const PUBLIC_CONFIG_KEYS = ["phoneNumberId", "businessAccountId", "wabaId"];

export function instanceJson(instance: Instance): InstanceJson {
  const config: Record<string, unknown> = {};
  for (const key of PUBLIC_CONFIG_KEYS) {
    if (instance.providerConfig?.[key] !== undefined) config[key] = instance.providerConfig[key];
  }
  // The proxy is shown masked (stored encrypted whole; the password never comes back).
  if (typeof instance.providerConfig?.proxyMasked === "string") config.proxy = instance.providerConfig.proxyMasked;
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
  from: z
    .string({ error: () => tText("instances:schema.senderPhone") })
    .trim()
    .min(1, { error: () => tText("instances:schema.senderPhone") })
    .max(40),
  name: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .max(100, { error: () => tText("instances:schema.atMost", { count: 100 }) })
      .optional(),
  ),
  text: z
    .string({ error: () => tText("instances:schema.text") })
    .trim()
    .min(1, { error: () => tText("instances:schema.text") })
    .max(4096, { error: () => tText("instances:schema.atMost", { count: 4096 }) }),
});

/** The create form posts flat fields; the API nests cloud credentials under `config`. */
export function createInputFromForm(form: Record<string, unknown>): Record<string, unknown> {
  const str = (k: string) => (typeof form[k] === "string" ? (form[k] as string) : undefined);
  const provider = str("provider") || "sandbox";
  return {
    name: str("name") ?? "",
    provider,
    ...(provider === "cloud"
      ? {
          config: {
            phoneNumberId: str("phoneNumberId"),
            accessToken: str("accessToken"),
            appSecret: str("appSecret"),
            verifyToken: str("verifyToken"),
            wabaId: str("wabaId"),
          },
        }
      : {}),
  };
}
