import type { INSTANCE_STATUSES, MESSAGE_TYPES, instances } from "@/db/schema";

export type Instance = typeof instances.$inferSelect;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];
export type MessageType = (typeof MESSAGE_TYPES)[number];

export type MediaPayload = { url: string; caption?: string; mimeType?: string; fileName?: string };
export type LocationPayload = { latitude: number; longitude: number; name?: string; address?: string };
export type ContactCardPayload = { name: string; phone: string };
export type ReactionPayload = { messageId: string; emoji: string };
export type TemplatePayload = { name: string; language?: string; variables?: Record<string, string>; body?: string };

/** One outbound message, already validated; `to` is E.164 (+5511999990001). */
export type OutboundMessage = {
  to: string;
  type: MessageType;
  text?: string;
  media?: MediaPayload;
  location?: LocationPayload;
  contact?: ContactCardPayload;
  /** `messageId` here is the provider message id of the message reacted to. */
  reaction?: ReactionPayload;
  template?: TemplatePayload;
};

/** Every provider's inbound traffic, normalized. */
export type InboundEvent =
  | {
      kind: "message";
      providerMessageId: string;
      /** E.164 of the contact who wrote. */
      from: string;
      fromName?: string;
      type: MessageType;
      body?: string;
      media?: Record<string, unknown>;
      timestamp: Date;
    }
  | {
      kind: "receipt";
      providerMessageId: string;
      status: "sent" | "delivered" | "read" | "failed";
      error?: string;
      timestamp: Date;
    }
  | { kind: "connection"; status: InstanceStatus; jid?: string; name?: string; qrCode?: string };

/** A provider failure; `retryable` tells the outbound worker whether to try again with backoff. */
export class ProviderError extends Error {
  constructor(
    message: string,
    public readonly retryable: boolean,
    public readonly httpStatus?: number,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/** The one interface every WhatsApp provider adapter implements (SPEC §4). */
export interface WhatsAppProvider {
  readonly name: Instance["provider"];
  /** Prepares the provider side for a new instance (e.g. a WuzAPI user); returns fields to store. */
  provision?(instance: Instance): Promise<Partial<Pick<Instance, "providerInstanceId" | "providerTokenEnc" | "providerConfig">>>;
  /** Removes the provider side of a deleted instance. */
  deprovision?(instance: Instance): Promise<void>;
  connect(instance: Instance): Promise<{ status: InstanceStatus; qrCode?: string }>;
  getQr(instance: Instance): Promise<{ status: InstanceStatus; qrCode?: string }>;
  pairingCode(instance: Instance, phone: string): Promise<{ code: string }>;
  status(instance: Instance): Promise<{ status: InstanceStatus; jid?: string; name?: string }>;
  logout(instance: Instance): Promise<void>;
  send(instance: Instance, message: OutboundMessage): Promise<{ providerMessageId: string }>;
  markRead(instance: Instance, chatPhone: string, providerMessageIds: string[]): Promise<void>;
  checkNumbers(instance: Instance, phones: string[]): Promise<{ phone: string; exists: boolean; jid?: string }[]>;
}
