import { config } from "@/config";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { AppError } from "@/lib/errors";
import { guardedFetch, OutboundError, TargetRefused } from "@/lib/outbound";
import { toDigits, toE164 } from "@/lib/phone";
import { cloudTemplateObject, cloudWabaId, listCloudTemplates } from "./cloud.templates";
import { cloudInteractive, cloudTypingBody, cloudTypingNeedsInbound, withCloudContext } from "./cloud.outbound";
import { arr, num, obj, providerFetch, str } from "./http";
import { cloudSetWhatsAppBlocked } from "./cloud.contacts";
import { cloudGroups } from "./cloud.groups";
import { ProviderError, type MediaFile, type OutboundMessage, type ProviderInstance, type WhatsAppProvider } from "./provider";

/**
 * Meta WhatsApp Cloud API adapter. Numbers are connected by configuration (phone number id + a system
 * user access token), so there is no QR or pairing code; webhooks are signed with the app secret.
 */

export type CloudConfig = { phoneNumberId: string; accessToken: string; appSecret: string; verifyToken: string };
/** Stored in clear beside the phone number id: the WhatsApp Business Account whose templates are listed. */
type CloudConfigInput = Partial<CloudConfig> & { wabaId?: string };
const SECRET_FIELDS = ["accessToken", "appSecret", "verifyToken"] as const;

/** `providerConfig` for a cloud instance: the phone number id in clear, each secret as `<name>Enc`. */
export function encryptCloudConfig(input: CloudConfigInput, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const next: Record<string, unknown> = { ...previous };
  if (input.phoneNumberId) next.phoneNumberId = input.phoneNumberId;
  if (input.wabaId !== undefined) next.wabaId = input.wabaId || undefined;
  for (const field of SECRET_FIELDS) {
    if (input[field]) next[`${field}Enc`] = encryptSecret(input[field]!);
  }
  return next;
}

/** The decrypted credentials of a cloud instance; a missing field is a 422 naming it. */
export function readCloudConfig(instance: Pick<ProviderInstance, "providerConfig">): CloudConfig {
  const c = instance.providerConfig ?? {};
  const phoneNumberId = typeof c.phoneNumberId === "string" ? c.phoneNumberId : "";
  const secrets = Object.fromEntries(
    SECRET_FIELDS.map((field) => {
      const enc = c[`${field}Enc`];
      return [field, typeof enc === "string" ? decryptSecret(enc) : ""];
    }),
  ) as Pick<CloudConfig, (typeof SECRET_FIELDS)[number]>;
  const missing = [["phoneNumberId", phoneNumberId] as const, ...SECRET_FIELDS.map((f) => [f, secrets[f]] as const)].filter(([, v]) => !v);
  if (missing.length) {
    throw new AppError(
      "validation_failed",
      "This Cloud API instance is missing credentials",
      missing.map(([field]) => ({ path: `config.${field}`, message: "Required for the Cloud API" })),
    );
  }
  return { phoneNumberId, ...secrets };
}

/** Graph errors: `{error: {message, type, code, error_subcode, error_data: {details}}}`. */
function describe(body: unknown): string | undefined {
  const error = obj(obj(body)?.error);
  if (!error) return undefined;
  const details = str(obj(error.error_data)?.details);
  const code = num(error.code);
  return [str(error.message), details, code !== undefined ? `code ${code}` : undefined].filter(Boolean).join(" — ");
}

/** Graph throttling codes that succeed later even though they come back as 400. */
const RETRYABLE_GRAPH_CODES = new Set([4, 80007, 130429, 131016, 131048, 131056, 133004]);

/** One Graph call: GET without a body, POST with one; `method` "DELETE" for the deletions (Groups API). */
export async function graph<T = Record<string, unknown>>(instance: ProviderInstance, path: string, body?: unknown, method?: "DELETE"): Promise<T> {
  const { accessToken } = readCloudConfig(instance);
  const url = `${config.cloudApiBase}/${path}`;
  const init = { headers: { Authorization: `Bearer ${accessToken}` }, ...(body !== undefined ? { body } : {}), ...(method ? { method } : {}) };
  try {
    return await providerFetch<T>("cloud", url, init, describe);
  } catch (err) {
    const code = err instanceof ProviderError ? Number(/code (\d+)/.exec(err.message)?.[1]) : NaN;
    if (err instanceof ProviderError && !err.retryable && RETRYABLE_GRAPH_CODES.has(code)) {
      throw new ProviderError(err.message, true, err.httpStatus);
    }
    throw err;
  }
}

const noQr = () =>
  new AppError(
    "validation_failed",
    "Cloud API numbers are connected by their configuration (phone number id and access token); they have no QR code or pairing code",
  );

/** Template components from our variables: numbered keys ("1", "2") in order become body parameters. */
function templateComponents(variables: Record<string, string> | undefined) {
  const entries = Object.entries(variables ?? {});
  if (entries.length === 0) return undefined;
  entries.sort(([a], [b]) => (Number(a) || 0) - (Number(b) || 0) || a.localeCompare(b));
  const named = entries.some(([key]) => !/^\d+$/.test(key));
  return [
    {
      type: "body",
      parameters: entries.map(([key, text]) => ({ type: "text", text, ...(named ? { parameter_name: key } : {}) })),
    },
  ];
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null) throw new ProviderError(`cloud: missing ${what} for this message type`, false, 400);
  return value;
}

/**
 * Who a message goes to: a phone in `to`; a group by `recipient_type: "group"` with its id in `to`
 * (Groups API); a person known only by a business-scoped user id in `recipient` (usernames rollout).
 */
function cloudRecipient(message: OutboundMessage): Record<string, string> {
  const address = message.address;
  if (address?.kind === "group") return { recipient_type: "group", to: address.id };
  if (address?.kind === "bsuid") return { recipient_type: "individual", recipient: address.id };
  if (address) throw new ProviderError(`cloud: cannot send to a ${address.kind}`, false, 400);
  return { recipient_type: "individual", to: toDigits(message.to) };
}

/** The `/messages` body for one outbound message (Cloud API "Send messages" reference). */
export function cloudMessageBody(message: OutboundMessage): Record<string, unknown> {
  const base = { messaging_product: "whatsapp", ...cloudRecipient(message) };
  switch (message.type) {
    case "text":
      return { ...base, type: "text", text: { body: need(message.text, "text"), preview_url: /https?:\/\//.test(message.text ?? "") } };
    case "image":
    case "video":
    case "document":
    case "audio":
    case "sticker": {
      const media = need(message.media, "media");
      const object: Record<string, unknown> = { link: media.url };
      if (media.caption && message.type !== "audio" && message.type !== "sticker") object.caption = media.caption;
      if (media.fileName && message.type === "document") object.filename = media.fileName;
      // Meta's voice message (Ogg/Opus): played inline with the business's picture, transcribed by WhatsApp.
      if (media.voice && message.type === "audio") object.voice = true;
      return { ...base, type: message.type, [message.type]: object };
    }
    case "location": {
      const loc = need(message.location, "location");
      return {
        ...base,
        type: "location",
        location: {
          latitude: loc.latitude,
          longitude: loc.longitude,
          ...(loc.name ? { name: loc.name } : {}),
          ...(loc.address ? { address: loc.address } : {}),
        },
      };
    }
    case "contact": {
      const card = need(message.contact, "contact");
      const e164 = toE164(card.phone) ?? card.phone;
      const [first, ...rest] = card.name.trim().split(/\s+/);
      return {
        ...base,
        type: "contacts",
        contacts: [
          {
            name: { formatted_name: card.name, first_name: first || card.name, ...(rest.length ? { last_name: rest.join(" ") } : {}) },
            phones: [{ phone: e164, type: "CELL", wa_id: toDigits(e164) }],
          },
        ],
      };
    }
    case "reaction": {
      const reaction = need(message.reaction, "reaction");
      return { ...base, type: "reaction", reaction: { message_id: reaction.messageId, emoji: reaction.emoji } };
    }
    case "interactive":
      return { ...base, type: "interactive", interactive: cloudInteractive(need(message.interactive, "interactive")) };
    case "poll":
      // Not in the adapter's features: the send path refuses a poll before it is stored.
      throw new ProviderError("cloud: the Cloud API sends no polls", false, 400);
    case "template": {
      const template = need(message.template, "template");
      // Free-form rendered text when no approved Meta template is named (inside the 24 h window).
      if (!template.name && template.body) return { ...base, type: "text", text: { body: template.body } };
      if (template.components)
        return { ...base, type: "template", template: cloudTemplateObject(template.name, template.language ?? "en_US", template.components) };
      const components = templateComponents(template.variables);
      return {
        ...base,
        type: "template",
        template: { name: template.name, language: { code: template.language ?? "en_US" }, ...(components ? { components } : {}) },
      };
    }
  }
}

/** `POST /{phone-number-id}/media` (multipart: messaging_product, type, file) → the media id to send by. */
async function uploadCloudMedia(instance: ProviderInstance, file: MediaFile): Promise<string> {
  const { phoneNumberId, accessToken } = readCloudConfig(instance);
  const form = new FormData();
  form.set("messaging_product", "whatsapp");
  form.set("type", file.mimeType);
  form.set("file", new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mimeType }), file.fileName ?? "file");
  let res: Response;
  try {
    res = await fetch(`${config.cloudApiBase}/${encodeURIComponent(phoneNumberId)}/media`, {
      method: "POST",
      headers: { Authorization: `Bearer ${accessToken}` },
      body: form,
      signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS),
      redirect: "error",
    });
  } catch {
    throw new ProviderError("cloud: the media upload could not reach the server", true);
  }
  const parsed = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok) {
    throw new ProviderError(
      `cloud: ${describe(parsed) ?? "the media upload failed"} (HTTP ${res.status})`,
      res.status >= 500 || res.status === 429,
      res.status,
    );
  }
  const id = str(obj(parsed)?.id);
  if (!id) throw new ProviderError("cloud: the media upload was answered without an id", false);
  return id;
}

const MEDIA_TIMEOUT_MS = 60_000;

/** Media bytes from a URL with the instance's token; `operatorConfigured`: the URL came from the Graph API itself. */
async function fetchCloudMedia(url: string, accessToken: string, operatorConfigured: boolean): Promise<Response> {
  try {
    return await guardedFetch(url, { headers: { Authorization: `Bearer ${accessToken}` } }, { timeoutMs: MEDIA_TIMEOUT_MS, operatorConfigured });
  } catch (err) {
    if (err instanceof TargetRefused) throw new ProviderError(`cloud: media URL refused: ${err.message}`, false);
    const status = err instanceof OutboundError ? err.status : null;
    const retryable = !(err instanceof OutboundError) || err.timedOut || status === null || status >= 500 || status === 429;
    throw new ProviderError(`cloud: media download ${err instanceof Error ? err.message : "failed"}`, retryable, status ?? undefined);
  }
}

export const cloudProvider: WhatsAppProvider = {
  /**
   * A media id: `GET /{media-id}` answers `{url, mime_type, sha256, file_size}`, and the url is fetched
   * with the same token (Cloud API "Media" reference). A webhook `url` is fetched with the token too.
   */
  async downloadMedia(instance, source) {
    const { accessToken } = readCloudConfig(instance);
    if (source.kind === "url") return { body: await fetchCloudMedia(source.url, accessToken, false) };
    const info = await graph(instance, encodeURIComponent(source.id));
    const url = str(info.url);
    if (!url) throw new ProviderError("cloud: the media endpoint answered without a url", true);
    return { body: await fetchCloudMedia(url, accessToken, true), mimeType: str(info.mime_type), sha256: str(info.sha256), size: num(info.file_size) };
  },

  name: "cloud",
  setWhatsAppBlocked: (instance, phone, blocked) => cloudSetWhatsAppBlocked(instance, phone, blocked),
  addresses: ["group", "bsuid"],
  features: ["reply", "typing"],
  /** Meta's Groups API (cloud.groups.ts): what it does not offer is refused with 422 unsupported_by_provider. */
  groups: cloudGroups(graph),

  /** Meta's typing indicator answers a received message (and marks it read): none received, nothing to show it on. */
  async presence(instance, _chat, state, context) {
    if (state === "paused") return; // The indicator ends by itself (25 s) or with our answer: nothing to send.
    if (!context.lastInboundProviderMessageId) throw cloudTypingNeedsInbound();
    const { phoneNumberId } = readCloudConfig(instance);
    await graph(instance, `${encodeURIComponent(phoneNumberId)}/messages`, cloudTypingBody(context.lastInboundProviderMessageId));
  },

  /** `GET /{waba-id}/message_templates`, every page; a 422 naming `config.wabaId` when the instance has none. */
  async listTemplates(instance) {
    const wabaId = cloudWabaId(instance);
    if (!wabaId)
      throw new AppError("validation_failed", "This Cloud API instance has no WhatsApp Business Account id", [
        { path: "config.wabaId", message: "Required to list templates" },
      ]);
    return listCloudTemplates((path) => graph(instance, path), wabaId);
  },

  /** Groups API: `GET /{group-id}?fields=subject,description,total_participant_count` (no picture there). */
  async groupInfo(instance, groupId) {
    const info = await graph(instance, `${encodeURIComponent(groupId)}?fields=subject,description,total_participant_count`);
    return { id: groupId, subject: str(info.subject), description: str(info.description), participants: num(info.total_participant_count) };
  },

  async connect(instance) {
    const { phoneNumberId } = readCloudConfig(instance);
    const phone = await graph(instance, `${encodeURIComponent(phoneNumberId)}?fields=display_phone_number,verified_name`);
    const display = toE164(str(phone.display_phone_number) ?? "");
    return { status: "connected", jid: display ? `${toDigits(display)}@s.whatsapp.net` : undefined, name: str(phone.verified_name) };
  },

  async getQr() {
    throw noQr();
  },

  async pairingCode() {
    throw noQr();
  },

  async status(instance) {
    const { phoneNumberId } = readCloudConfig(instance);
    try {
      const phone = await graph(instance, `${encodeURIComponent(phoneNumberId)}?fields=display_phone_number,verified_name`);
      const display = toE164(str(phone.display_phone_number) ?? "");
      return { status: "connected", jid: display ? `${toDigits(display)}@s.whatsapp.net` : undefined, name: str(phone.verified_name) };
    } catch (err) {
      if (err instanceof ProviderError && !err.retryable) return { status: "disconnected" };
      throw err;
    }
  },

  async logout() {
    // Nothing to unlink at Meta: the number simply stops being used by this instance.
    return { status: "logged_out" };
  },

  async send(instance, message) {
    const { phoneNumberId } = readCloudConfig(instance);
    const body = withCloudContext(cloudMessageBody(message), message);
    // An upload (POST /v1/media) goes to Meta first and is sent by its media id: no public URL of ours needed.
    if (message.media?.file)
      body[message.type] = { ...(body[message.type] as Record<string, unknown>), link: undefined, id: await uploadCloudMedia(instance, message.media.file) };
    const res = await graph(instance, `${encodeURIComponent(phoneNumberId)}/messages`, body);
    const id = str(obj(arr(res.messages)[0])?.id);
    if (!id) throw new ProviderError("cloud: the send was answered without a message id", false);
    return { providerMessageId: id };
  },

  async markRead(instance, _chatPhone, providerMessageIds) {
    const { phoneNumberId } = readCloudConfig(instance);
    for (const messageId of providerMessageIds) {
      await graph(instance, `${encodeURIComponent(phoneNumberId)}/messages`, { messaging_product: "whatsapp", status: "read", message_id: messageId });
    }
  },

  async checkNumbers(_instance, phones) {
    // The Cloud API has no contact lookup; a well-formed number is assumed reachable and a send to a
    // number without WhatsApp fails later with a `message.failed` event.
    return phones.map((phone) => {
      const e164 = toE164(phone);
      return { phone: e164 ?? phone, exists: !!e164, ...(e164 ? { jid: `${toDigits(e164)}@s.whatsapp.net` } : {}) };
    });
  },
};

// Inbound: Cloud API webhook notifications → normalized events live in cloud.inbound.ts (pure parsing).
export { mapCloudPayload } from "./cloud.inbound";
