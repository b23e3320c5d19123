import { createHash, randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { randomToken, safeEqual } from "@/lib/crypto";
import { AppError, conflict, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { toDigits, toE164 } from "@/lib/phone";
import { ProviderError, type Instance, type InstanceStatus, type OutboundMessage, type WhatsAppProvider } from "./provider";

/**
 * Receipt timing of the simulated phone (ms after the send). Tests may shorten it; `retryMs`/`retries`
 * cover the window in which the outbound worker has not yet stored the provider id we handed out.
 */
export const sandboxTiming = { sentMs: 50, deliveredMs: 200, readMs: 400, retryMs: 100, retries: 30 };

/** Fields the sandbox keeps in `providerConfig` (none is shown publicly). */
type SandboxState = { pairToken?: string; pairCode?: string; pairPhone?: string };
const STATE_KEYS = ["pairToken", "pairCode", "pairPhone"] as const;
const PAIR_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTVWXYZ23456789";

function stateOf(instance: Instance): SandboxState {
  const c = instance.providerConfig ?? {};
  return {
    pairToken: typeof c.pairToken === "string" ? c.pairToken : undefined,
    pairCode: typeof c.pairCode === "string" ? c.pairCode : undefined,
    pairPhone: typeof c.pairPhone === "string" ? c.pairPhone : undefined,
  };
}

/** Replaces the sandbox's pairing state in providerConfig, leaving any other keys alone. */
async function saveState(instanceId: string, state: SandboxState): Promise<Instance> {
  const cleared = STATE_KEYS.reduce((acc, key) => sql`${acc} - ${key}::text`, sql`${instances.providerConfig}`);
  const patch = Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined));
  const [row] = await db
    .update(instances)
    .set({ providerConfig: sql`(${cleared}) || ${JSON.stringify(patch)}::jsonb`, updatedAt: new Date() })
    .where(eq(instances.id, instanceId))
    .returning();
  if (!row) throw new AppError("not_found", tText("instances:errors.notFound"));
  return row;
}

/** The link a phone "scans": opening it pairs the instance. */
export function sandboxPairUrl(token: string): string {
  return `${config.appUrl}/sandbox/pair/${encodeURIComponent(token)}`;
}

/** A stable fake number per instance, e.g. `5500012345678@s.whatsapp.net`. */
export function sandboxJid(instanceId: string): string {
  const digits = BigInt(`0x${createHash("sha256").update(instanceId).digest("hex").slice(0, 15)}`).toString().padStart(8, "0").slice(-8);
  return `55000${digits}@s.whatsapp.net`;
}

function newPairCode(): string {
  let code = "";
  for (const byte of randomBytes(8)) code += PAIR_CODE_ALPHABET[byte % PAIR_CODE_ALPHABET.length];
  return code;
}

const normalizeCode = (code: string) => code.replace(/[\s-]/g, "").toUpperCase();

/**
 * Pairs a sandbox instance the way a phone would: by "scanning" the QR currently shown or by entering
 * the pairing code handed out for a phone number. Idempotent once connected.
 */
export async function sandboxPair(instance: Instance, opts: { code?: string } = {}): Promise<Instance> {
  if (instance.provider !== "sandbox") throw conflict(tText("instances:sandbox.onlySandboxPair"));
  if (instance.status === "connected") return instance;
  const state = stateOf(instance);
  let jid = sandboxJid(instance.id);
  if (opts.code !== undefined) {
    if (!state.pairCode || !safeEqual(normalizeCode(opts.code), state.pairCode)) {
      throw validationFailed([{ path: "code", message: tText("instances:sandbox.invalidCode") }]);
    }
    if (state.pairPhone) jid = `${toDigits(state.pairPhone)}@s.whatsapp.net`;
  } else if (instance.status !== "qr" || !state.pairToken) {
    throw conflict(tText("instances:sandbox.connectFirst"));
  }
  await saveState(instance.id, {});
  const result = await ingestInbound(instance, { kind: "connection", status: "connected", jid, name: "LivChat Sandbox" });
  return (result.kind === "connection" && result.instance) || instance;
}

/** Resolves a pairing link token (`<instanceId>.<secret>`) to its instance, or 404. */
export async function findInstanceByPairToken(token: string): Promise<Instance> {
  const instanceId = token.split(".")[0] ?? "";
  if (!/^[0-9a-f-]{36}$/i.test(instanceId)) throw new AppError("not_found", tText("instances:sandbox.linkNotFound"));
  const [instance] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.id, instanceId), eq(instances.provider, "sandbox")))
    .limit(1);
  const stored = instance ? stateOf(instance).pairToken : undefined;
  if (!instance || !stored || !safeEqual(stored, token)) throw new AppError("not_found", tText("instances:sandbox.linkNotFound"));
  return instance;
}

/** Pending receipt chains, so tests (and shutdown) can wait for the simulated phone to finish. */
const pending = new Set<Promise<void>>();

/** Resolves when every scheduled sandbox receipt has been delivered. */
export async function sandboxIdle(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    (timer as { unref?: () => void }).unref?.();
  });
}

/** Plays the recipient's phone: sent → delivered → read, each through the normal inbound pipeline. */
function scheduleReceipts(instance: Instance, providerMessageId: string) {
  const chain = (async () => {
    let elapsed = 0;
    const steps = [
      ["sent", sandboxTiming.sentMs],
      ["delivered", sandboxTiming.deliveredMs],
      ["read", sandboxTiming.readMs],
    ] as const;
    for (const [status, at] of steps) {
      await sleep(Math.max(0, at - elapsed));
      elapsed = at;
      for (let attempt = 0; attempt <= sandboxTiming.retries; attempt++) {
        const result = await ingestInbound(instance, { kind: "receipt", providerMessageId, status, timestamp: new Date() });
        // Not found yet: the worker has our id but has not committed it; try again shortly.
        if (result.kind !== "receipt" || result.found) break;
        if (attempt === sandboxTiming.retries) return;
        await sleep(sandboxTiming.retryMs);
        elapsed += sandboxTiming.retryMs;
      }
    }
  })().catch((err) => log.warn("sandbox receipt failed", { instanceId: instance.id, providerMessageId, err }));
  pending.add(chain);
  void chain.finally(() => pending.delete(chain));
}

function newMessageId(prefix: string): string {
  return `${prefix}${randomBytes(10).toString("hex").toUpperCase()}`;
}

/** The simulated WhatsApp number: everything a real provider does, without a phone. */
export const sandboxProvider: WhatsAppProvider = {
  name: "sandbox",

  async connect(instance) {
    if (instance.status === "connected") return { status: "connected" };
    const current = stateOf(instance);
    const pairToken = instance.status === "qr" && current.pairToken ? current.pairToken : `${instance.id}.${randomToken(18)}`;
    const saved = await saveState(instance.id, { ...current, pairToken });
    const qrCode = sandboxPairUrl(pairToken);
    await ingestInbound(saved, { kind: "connection", status: "qr", qrCode });
    return { status: "qr", qrCode };
  },

  async getQr(instance) {
    const { pairToken } = stateOf(instance);
    if (instance.status === "qr" && pairToken) return { status: "qr", qrCode: sandboxPairUrl(pairToken) };
    return { status: instance.status };
  },

  async pairingCode(instance, phone) {
    const e164 = toE164(phone);
    if (!e164) throw validationFailed([{ path: "phone", message: tText("instances:schema.pairingPhone") }]);
    if (instance.status === "connected") throw conflict(tText("instances:sandbox.alreadyConnected"));
    const code = newPairCode();
    const saved = await saveState(instance.id, { ...stateOf(instance), pairCode: code, pairPhone: e164 });
    if (saved.status !== "qr") await ingestInbound(saved, { kind: "connection", status: "connecting" });
    return { code };
  },

  async status(instance) {
    const [row] = await db.select().from(instances).where(eq(instances.id, instance.id)).limit(1);
    const current = row ?? instance;
    return { status: current.status as InstanceStatus, jid: current.waJid ?? undefined, name: current.waName ?? undefined };
  },

  async logout(instance) {
    await saveState(instance.id, {});
    await ingestInbound(instance, { kind: "connection", status: "logged_out" });
  },

  async send(instance, message: OutboundMessage) {
    const [row] = await db.select({ status: instances.status }).from(instances).where(eq(instances.id, instance.id)).limit(1);
    if (row?.status !== "connected") {
      throw new ProviderError("The sandbox instance is not connected; scan its QR code first", false, 409);
    }
    if (!toE164(message.to)) throw new ProviderError(`Invalid recipient ${message.to}`, false, 400);
    if (message.type === "reaction" && !message.reaction?.messageId) throw new ProviderError("A reaction needs the id of the message it reacts to", false, 400);
    const providerMessageId = newMessageId("SB");
    scheduleReceipts(instance, providerMessageId);
    return { providerMessageId };
  },

  async markRead() {
    // The simulated contact's phone has nothing to update; the caller already stores the read state.
  },

  async checkNumbers(_instance, phones) {
    // Every well-formed number "has WhatsApp" in the sandbox.
    return phones.map((phone) => {
      const e164 = toE164(phone);
      return { phone: e164 ?? phone, exists: !!e164, ...(e164 ? { jid: `${toDigits(e164)}@s.whatsapp.net` } : {}) };
    });
  },
};

export type SandboxInboundInput = {
  from: string;
  name?: string;
  text?: string;
  media?: { url: string; caption?: string; mimeType?: string; fileName?: string; type?: "image" | "audio" | "video" | "document" | "sticker" };
};

/** A contact writing to a connected sandbox instance; goes through ingestInbound like any provider. */
export async function sandboxInbound(instance: Instance, input: SandboxInboundInput) {
  if (instance.provider !== "sandbox") throw conflict(tText("instances:sandbox.onlySandboxInbound"));
  if (instance.status !== "connected") throw conflict(tText("instances:sandbox.notConnected"));
  const from = toE164(input.from);
  if (!from) throw validationFailed([{ path: "from", message: tText("instances:sandbox.senderPhoneFormat") }]);
  if (!input.text && !input.media) throw validationFailed([{ path: "text", message: tText("instances:sandbox.textOrMedia") }]);
  const media = input.media
    ? { url: input.media.url, ...(input.media.caption ? { caption: input.media.caption } : {}), ...(input.media.mimeType ? { mimeType: input.media.mimeType } : {}), ...(input.media.fileName ? { fileName: input.media.fileName } : {}) }
    : undefined;
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: newMessageId("SBIN"),
    from,
    fromName: input.name,
    type: input.media ? (input.media.type ?? "image") : "text",
    body: input.media ? (input.media.caption ?? input.text) : input.text,
    media,
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.stored || !result.message) throw new AppError("internal", "The simulated message was not stored");
  return result;
}
