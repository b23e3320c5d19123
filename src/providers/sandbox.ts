import { createHash, randomBytes } from "node:crypto";
import { config } from "@/config";
import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { toDigits, toE164 } from "@/lib/phone";
import { sandboxContactOps } from "./sandbox.contacts";
import { sandboxGroups } from "./sandbox.groups";
import { OUTBOUND_FEATURES, type ChatRef } from "./features";
import { ProviderError, type OutboundMessage, type ProviderInstance, type ProviderSink, type WhatsAppProvider } from "./provider";
import { sleep } from "@/lib/sleep";

/** Receipt timing of the simulated phone (ms after the send). Tests may shorten it. */
export const sandboxTiming = { sentMs: 50, deliveredMs: 200, readMs: 400 };

/**
 * The simulated phone's memory (pairing links and codes), kept by the sandbox service in the database:
 * the adapter asks for a link or code to show and says when a pairing is over, nothing more.
 */
export interface SandboxPairing {
  /** The token behind the QR link; the same one while the QR is still showing. */
  pairToken(instance: ProviderInstance): Promise<string>;
  /** A fresh code to type on the phone of `phone` (E.164). */
  pairCode(instance: ProviderInstance, phone: string): Promise<string>;
  /** Forgets links and codes (logout). */
  forget(instance: ProviderInstance): Promise<void>;
}

/** The link a phone "scans": opening it pairs the instance. */
export function sandboxPairUrl(token: string): string {
  return `${config.appUrl}/sandbox/pair/${encodeURIComponent(token)}`;
}

/** A stable fake number per instance, e.g. `5500012345678@s.whatsapp.net`. */
export function sandboxJid(instanceId: string): string {
  const digits = BigInt(`0x${createHash("sha256").update(instanceId).digest("hex").slice(0, 15)}`)
    .toString()
    .padStart(8, "0")
    .slice(-8);
  return `55000${digits}@s.whatsapp.net`;
}

/** A provider message id as the simulated WhatsApp hands them out (`SB…` sent, `SBIN…` received). */
export function sandboxMessageId(prefix: "SB" | "SBIN"): string {
  return `${prefix}${randomBytes(10).toString("hex").toUpperCase()}`;
}

/** Pending receipt chains, so tests (and shutdown) can wait for the simulated phone to finish. */
const pending = new Set<Promise<void>>();

/** Resolves when every scheduled sandbox receipt has been delivered. */
export async function sandboxIdle(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

/** What the simulated WhatsApp refuses of an edit, delete or presence, as a real one would. */
function assertSandboxChat(instance: ProviderInstance, chat: ChatRef, providerMessageId?: string): void {
  if (instance.status !== "connected") throw new ProviderError("The sandbox instance is not connected; scan its QR code first", false, 409);
  if (!chat.address && !toE164(chat.to)) throw new ProviderError(`Invalid recipient ${chat.to}`, false, 400);
  if (providerMessageId !== undefined && !providerMessageId.startsWith("SB")) throw new ProviderError(`No sandbox message ${providerMessageId}`, false, 404);
}

/**
 * The simulated WhatsApp number: everything a real provider does, without a phone. What the phone does
 * on its own (receipts) goes to `sink`; pairing links and codes are kept by `pairing`.
 */
export function createSandboxProvider(deps: { sink: ProviderSink; pairing: SandboxPairing }): WhatsAppProvider {
  /** Plays the recipient's phone: sent → delivered → read, in order, each through the sink. */
  function scheduleReceipts(instance: ProviderInstance, providerMessageId: string) {
    const started = Date.now();
    const chain = (async () => {
      for (const [status, at] of [
        ["sent", sandboxTiming.sentMs],
        ["delivered", sandboxTiming.deliveredMs],
        ["read", sandboxTiming.readMs],
      ] as const) {
        await sleep(Math.max(0, at - (Date.now() - started)));
        await deps.sink.inbound(instance, [{ kind: "receipt", providerMessageId, status, timestamp: new Date() }]);
      }
    })().catch((err) => log.warn("sandbox receipt failed", { instanceId: instance.id, providerMessageId, err }));
    pending.add(chain);
    void chain.finally(() => pending.delete(chain));
  }

  return {
    name: "sandbox",
    // The simulated WhatsApp reaches every kind of address a real one can.
    addresses: ["group", "lid", "bsuid"],
    // …and every outbound feature; edits, deletes and presence are answered as WhatsApp answers them (nothing comes back).
    features: OUTBOUND_FEATURES,

    async editMessage(instance, chat, providerMessageId) {
      assertSandboxChat(instance, chat, providerMessageId);
    },

    async deleteMessage(instance, chat, providerMessageId) {
      assertSandboxChat(instance, chat, providerMessageId);
    },

    async presence(instance, chat) {
      assertSandboxChat(instance, chat);
    },
    groups: sandboxGroups((instance) => (instance.waJid ? (toE164(instance.waJid) ?? undefined) : undefined)),
    ...sandboxContactOps(),

    async connect(instance) {
      if (instance.status === "connected") return { status: "connected" };
      return { status: "qr", qrCode: sandboxPairUrl(await deps.pairing.pairToken(instance)) };
    },

    async getQr(instance) {
      if (instance.status === "qr") return { status: "qr", qrCode: sandboxPairUrl(await deps.pairing.pairToken(instance)) };
      return { status: instance.status };
    },

    async pairingCode(instance, phone) {
      const e164 = toE164(phone);
      if (!e164) throw validationFailed([{ path: "phone", message: tText("instances:schema.pairingPhone") }]);
      const code = await deps.pairing.pairCode(instance, e164);
      return { code, status: instance.status === "qr" ? "qr" : "connecting" };
    },

    async status(instance) {
      // The simulated phone is exactly what LivChat stored about it.
      return { status: instance.status, ...(instance.waJid ? { jid: instance.waJid } : {}), ...(instance.waName ? { name: instance.waName } : {}) };
    },

    async logout(instance) {
      await deps.pairing.forget(instance);
      return { status: "logged_out" };
    },

    async send(instance, message: OutboundMessage) {
      if (instance.status !== "connected") throw new ProviderError("The sandbox instance is not connected; scan its QR code first", false, 409);
      if (!message.address && !toE164(message.to)) throw new ProviderError(`Invalid recipient ${message.to}`, false, 400);
      if (message.type === "reaction" && !message.reaction?.messageId)
        throw new ProviderError("A reaction needs the id of the message it reacts to", false, 400);
      const providerMessageId = sandboxMessageId("SB");
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
}
