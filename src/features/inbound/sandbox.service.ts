import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { instances, type Instance } from "@/db/schema";
import { applyConnectionState } from "@/features/instances/instance-state";
import { patchProviderConfig } from "@/features/instances/instance.service";
import { randomToken, safeEqual } from "@/lib/crypto";
import { AppError, conflict, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { parsePhone, toDigits } from "@/lib/phone";
import { instanceOfTenant, type Tenant } from "@/lib/tenant";
import type { ProviderInstance } from "@/providers/provider";
import { sandboxJid, sandboxMessageId, type SandboxPairing } from "@/providers/sandbox";
import { ingestInbound } from "./inbound.service";
import type { SandboxInboundBody } from "./sandbox.schema";

// ——— The simulated phone's memory ———
// Pairing links and codes live in the instance's providerConfig under these keys (none is shown
// publicly). The adapter asks for them through `sandboxPairing`; pairing checks them here.

type PairingState = { pairToken?: string; pairCode?: string; pairPhone?: string };
const STATE_KEYS = ["pairToken", "pairCode", "pairPhone"] as const;
const PAIR_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTVWXYZ23456789";

function stateOf(instance: Pick<ProviderInstance, "providerConfig">): PairingState {
  const c = instance.providerConfig ?? {};
  return {
    pairToken: typeof c.pairToken === "string" ? c.pairToken : undefined,
    pairCode: typeof c.pairCode === "string" ? c.pairCode : undefined,
    pairPhone: typeof c.pairPhone === "string" ? c.pairPhone : undefined,
  };
}

/** Replaces the pairing state in providerConfig, leaving any other keys alone. */
async function saveState(instanceId: string, state: PairingState): Promise<void> {
  await patchProviderConfig(instanceId, STATE_KEYS, Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)));
}

function newPairCode(): string {
  let code = "";
  for (const byte of randomBytes(8)) code += PAIR_CODE_ALPHABET[byte % PAIR_CODE_ALPHABET.length];
  return code;
}

const normalizeCode = (code: string) => code.replace(/[\s-]/g, "").toUpperCase();

/** Handed to the sandbox adapter by the composition root. */
export const sandboxPairing: SandboxPairing = {
  async pairToken(instance) {
    const current = stateOf(instance);
    // The QR on screen keeps working while it shows; a new connect after that gets a new link.
    if (instance.status === "qr" && current.pairToken) return current.pairToken;
    const pairToken = `${instance.id}.${randomToken(18)}`;
    await saveState(instance.id, { ...current, pairToken });
    return pairToken;
  },
  async pairCode(instance, phone) {
    const pairCode = newPairCode();
    await saveState(instance.id, { ...stateOf(instance), pairCode, pairPhone: phone });
    return pairCode;
  },
  async forget(instance) {
    await saveState(instance.id, {});
  },
};

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
  const applied = await applyConnectionState(instance, { status: "connected", jid, name: "LivChat Sandbox" });
  return applied.instance ?? instance;
}

/** Resolves a pairing link token (`<instanceId>.<secret>`) to its instance, or 404. */
export async function findInstanceByPairToken(token: string): Promise<Instance> {
  const instanceId = token.split(".")[0] ?? "";
  if (!isUuid(instanceId)) throw new AppError("not_found", tText("instances:sandbox.linkNotFound"));
  const [instance] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.id, instanceId), eq(instances.provider, "sandbox")))
    .limit(1);
  const stored = instance ? stateOf(instance).pairToken : undefined;
  if (!instance || !stored || !safeEqual(stored, token)) throw new AppError("not_found", tText("instances:sandbox.linkNotFound"));
  return instance;
}

export type SandboxInboundInput = {
  from: string;
  name?: string;
  text?: string;
  media?: { url: string; caption?: string; mimeType?: string; fileName?: string; type?: "image" | "audio" | "video" | "document" | "sticker" };
  /** A tapped button: type `interactive` with its payload id, as WuzAPI and the Cloud API report one. */
  button?: { id: string; title?: string };
  /** Provider id of the quoted message. */
  replyTo?: string;
};

/** A contact writing to a connected sandbox instance; goes through ingestInbound like any provider. */
export async function sandboxInbound(instance: Instance, input: SandboxInboundInput) {
  if (instance.provider !== "sandbox") throw conflict(tText("instances:sandbox.onlySandboxInbound"));
  if (instance.status !== "connected") throw conflict(tText("instances:sandbox.notConnected"));
  const from = parsePhone(input.from);
  if (!from) throw validationFailed([{ path: "from", message: tText("instances:sandbox.senderPhoneFormat") }]);
  if (!input.text && !input.media && !input.button) throw validationFailed([{ path: "text", message: tText("instances:sandbox.textOrMedia") }]);
  const media = input.media
    ? {
        url: input.media.url,
        ...(input.media.caption ? { caption: input.media.caption } : {}),
        ...(input.media.mimeType ? { mimeType: input.media.mimeType } : {}),
        ...(input.media.fileName ? { fileName: input.media.fileName } : {}),
      }
    : undefined;
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: sandboxMessageId("SBIN"),
    from,
    fromName: input.name,
    type: input.media ? (input.media.type ?? "image") : input.button ? "interactive" : "text",
    body: input.media ? (input.media.caption ?? input.text) : input.button ? (input.button.title ?? input.button.id) : input.text,
    media,
    ...(input.button ? { interactive: { kind: "button" as const, id: input.button.id, ...(input.button.title ? { title: input.button.title } : {}) } } : {}),
    ...(input.replyTo ? { quotedProviderMessageId: input.replyTo } : {}),
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.stored || !result.message) throw new AppError("internal", "The simulated message was not stored");
  return result;
}

// ——— Tenant-facing actions ———

/**
 * Simulates the phone scanning the QR (or entering the pairing code) of a tenant's sandbox instance.
 * Sandbox actions on a non-sandbox instance are refused later with a 409 that says so.
 */
export async function scanSandboxInstance(tenant: Tenant, id: string, input: { code?: string } | undefined, boundInstanceId?: string | null) {
  const instance = await instanceOfTenant({ tenant, instanceId: boundInstanceId }, id);
  return sandboxPair(instance, { code: input?.code });
}

/** Simulates a contact writing to a tenant's sandbox instance. */
export async function simulateSandboxInbound(tenant: Tenant, id: string, input: SandboxInboundBody, boundInstanceId?: string | null) {
  const instance = await instanceOfTenant({ tenant, instanceId: boundInstanceId }, id);
  const text = input.text?.trim() ? input.text : undefined;
  return sandboxInbound(instance, { from: input.from, name: input.name || undefined, text, media: input.media, button: input.button, replyTo: input.replyTo });
}

/** The pairing page's instance (the link itself is the credential, like a QR on a screen). */
export async function pairingLinkInstance(token: string): Promise<Instance> {
  return findInstanceByPairToken(token);
}

export async function pairByLink(token: string): Promise<Instance> {
  return sandboxPair(await findInstanceByPairToken(token));
}
