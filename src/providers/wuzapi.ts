import { config } from "@/config";
import { decryptSecret, encryptSecret, randomToken } from "@/lib/crypto";
import { AppError, validationFailed } from "@/lib/errors";
import { guardedFetch, OutboundError } from "@/lib/outbound";
import { toDigits, toE164 } from "@/lib/phone";
import { arr, obj, providerFetch, providerHttp, str, type ProviderRequest } from "./http";
import { wuzapiGroups } from "./wuzapi.groups";
import { wuzapiContactProfile, wuzapiSetProxy } from "./wuzapi.contacts";
import {
  wuzapiContextInfo,
  wuzapiDeleteRequest,
  wuzapiEditRequest,
  wuzapiInteractiveRequest,
  wuzapiPollRequest,
  wuzapiPresenceRequest,
} from "./wuzapi.outbound";
import { ProviderError, type ConnectionState, type OutboundMessage, type ProviderInstance, type WhatsAppProvider } from "./provider";

/**
 * WuzAPI adapter (github.com/asternic/wuzapi, API.md): one WuzAPI user per instance, created with the
 * admin token; every per-instance call carries that user's `Token` header.
 */

/** How long `connect` waits for WuzAPI to produce the first QR code before answering "connecting". */
export const wuzapiTiming = { qrPollMs: 500, qrPollAttempts: 8 };

function baseUrl(): string {
  if (!config.wuzapi.url) throw new AppError("validation_failed", "WuzAPI is not configured on this server (WUZAPI_URL)");
  return config.wuzapi.url.replace(/\/$/, "");
}

function adminToken(): string {
  if (!config.wuzapi.adminToken) throw new AppError("validation_failed", "WuzAPI is not configured on this server (WUZAPI_ADMIN_TOKEN)");
  return config.wuzapi.adminToken;
}

function userToken(instance: ProviderInstance): string {
  if (!instance.providerTokenEnc) throw new ProviderError("wuzapi: this instance has no WuzAPI user; delete and recreate it", false);
  return decryptSecret(instance.providerTokenEnc);
}

/** WuzAPI answers `{code, data, success}` or `{code, error, success:false}`. */
function describe(body: unknown): string | undefined {
  const b = obj(body);
  return str(b?.error) ?? str(obj(b?.data)?.Details) ?? str(b?.message);
}

async function call(path: string, headers: Record<string, string>, init: ProviderRequest = {}): Promise<Record<string, unknown>> {
  const body = await providerFetch<unknown>("wuzapi", `${baseUrl()}${path}`, { ...init, headers: { ...headers, ...(init.headers ?? {}) } }, describe);
  const b = obj(body) ?? {};
  if (b.success === false) throw new ProviderError(`wuzapi: ${describe(b) ?? "request failed"}`, false);
  return obj(b.data) ?? b;
}

const asUser = (instance: ProviderInstance, path: string, init: ProviderRequest = {}) => call(path, { Token: userToken(instance) }, init);
const asAdmin = (path: string, init: ProviderRequest = {}) => call(path, { Authorization: adminToken() }, init);

/** The phone part of a JID: "5491155554444.0:52@s.whatsapp.net" → "5491155554444". */
export function jidUser(jid: string): string {
  return jid.split("@")[0]!.split(":")[0]!.split(".")[0]!;
}

/** A JID as stored on the instance (device suffix dropped). */
export function normalizeJid(jid: string | undefined): string | undefined {
  if (!jid) return undefined;
  const user = jidUser(jid);
  return /^\d{6,15}$/.test(user) ? `${user}@s.whatsapp.net` : undefined;
}

function sessionStatus(data: Record<string, unknown>): ConnectionState {
  const connected = data.Connected ?? data.connected;
  const loggedIn = data.LoggedIn ?? data.loggedIn;
  const jid = normalizeJid(str(data.jid) ?? str(data.Jid) ?? str(data.JID));
  const name = str(data.name) ?? str(data.Name) ?? str(data.PushName);
  if (loggedIn === true) return { status: "connected", jid, name };
  if (connected === true) return { status: "qr", jid, name };
  return { status: "disconnected", jid, name };
}

async function fetchQr(instance: ProviderInstance): Promise<string | undefined> {
  try {
    const data = await asUser(instance, "/session/qr");
    return str(data.QRCode) ?? str(data.qrcode) ?? str(data.QrCode);
  } catch (err) {
    // Before the websocket is up WuzAPI answers an error instead of an empty code: "not yet".
    if (err instanceof ProviderError && err.httpStatus !== undefined && err.httpStatus !== 401) return undefined;
    throw err;
  }
}

function vcard(name: string, phone: string): string {
  const digits = toDigits(toE164(phone) ?? phone);
  const safeName = name.replace(/[\r\n;]/g, " ");
  return ["BEGIN:VCARD", "VERSION:3.0", `N:;${safeName};;;`, `FN:${safeName}`, `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`, "END:VCARD"].join("\n");
}

/** The text sent for a template on providers without template support: its rendered body. */
export function renderTemplateText(template: NonNullable<OutboundMessage["template"]>): string {
  if (template.body) return template.body;
  const values = Object.values(template.variables ?? {});
  return values.length ? `${template.name}: ${values.join(", ")}` : template.name;
}

function requireField<T>(value: T | undefined, path: string): T {
  if (value === undefined || value === null) throw new ProviderError(`wuzapi: missing ${path} for this message type`, false, 400);
  return value;
}

/**
 * WuzAPI takes uploaded bytes as data URIs, and a sticker only as one (its `/chat/send/sticker` refuses
 * a URL), so an upload is inlined and a sticker URL fetched here, through the outbound guard (a
 * tenant's URL), capped at MEDIA_MAX_BYTES.
 */
async function withInlineMedia(message: OutboundMessage): Promise<OutboundMessage> {
  const media = message.media;
  if (!media) return message;
  if (media.file) {
    const { bytes, mimeType, fileName } = media.file;
    const url = `data:${mimeType};base64,${Buffer.from(bytes).toString("base64")}`;
    return { ...message, media: { ...media, url, mimeType: media.mimeType ?? mimeType, fileName: media.fileName ?? fileName, file: undefined } };
  }
  if (message.type !== "sticker" || media.url.startsWith("data:")) return message;
  let res: Response;
  try {
    res = await guardedFetch(media.url, {}, { timeoutMs: providerHttp.timeoutMs });
  } catch (err) {
    const status = err instanceof OutboundError ? err.status : null;
    const retryable = err instanceof OutboundError && (err.timedOut || status === null || status >= 500 || status === 429);
    throw new ProviderError(`wuzapi: the sticker URL ${err instanceof Error ? err.message : "could not be fetched"}`, retryable);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > config.media.maxBytes) throw new ProviderError("wuzapi: the sticker is larger than MEDIA_MAX_BYTES", false);
  const mimeType = res.headers.get("content-type")?.split(";")[0]?.trim() || "image/webp";
  return { ...message, media: { ...media, url: `data:${mimeType};base64,${Buffer.from(bytes).toString("base64")}` } };
}

/** WuzAPI's `Phone` takes digits or a whole JID (its parseJID): a group is `<id>@g.us`, a LID `<id>@lid`. */
function wuzapiRecipient(message: OutboundMessage): string {
  const address = message.address;
  if (address?.kind === "group") return `${address.id}@g.us`;
  if (address?.kind === "lid") return `${address.id}@lid`;
  if (address) throw new ProviderError(`wuzapi: cannot send to a ${address.kind}`, false, 400);
  return toDigits(message.to);
}

/** Body and endpoint of one `/chat/send/*` call (API.md "Chat"). */
function sendRequest(message: OutboundMessage): { path: string; body: Record<string, unknown> } {
  const Phone = wuzapiRecipient(message);
  switch (message.type) {
    case "text":
      return { path: "/chat/send/text", body: { Phone, Body: requireField(message.text, "text") } };
    case "template":
      return { path: "/chat/send/text", body: { Phone, Body: renderTemplateText(requireField(message.template, "template")) } };
    case "image": {
      const media = requireField(message.media, "media");
      return { path: "/chat/send/image", body: { Phone, Image: media.url, ...(media.caption ? { Caption: media.caption } : {}) } };
    }
    case "video": {
      const media = requireField(message.media, "media");
      return { path: "/chat/send/video", body: { Phone, Video: media.url, ...(media.caption ? { Caption: media.caption } : {}) } };
    }
    case "audio": {
      const media = requireField(message.media, "media");
      // A voice note: SendAudio's `ptt` with the Ogg/Opus type WhatsApp plays as one.
      return { path: "/chat/send/audio", body: { Phone, Audio: media.url, ...(media.voice ? { ptt: true, mimetype: "audio/ogg; codecs=opus" } : {}) } };
    }
    case "sticker":
      return { path: "/chat/send/sticker", body: { Phone, Sticker: requireField(message.media, "media").url } };
    case "document": {
      const media = requireField(message.media, "media");
      const fileName = media.fileName ?? (decodeURIComponent(new URL(media.url, "http://x").pathname.split("/").pop() || "") || "document");
      return {
        path: "/chat/send/document",
        body: {
          Phone,
          Document: media.url,
          FileName: fileName,
          ...(media.mimeType ? { MimeType: media.mimeType } : {}),
          ...(media.caption ? { Caption: media.caption } : {}),
        },
      };
    }
    case "location": {
      const loc = requireField(message.location, "location");
      return { path: "/chat/send/location", body: { Phone, Latitude: loc.latitude, Longitude: loc.longitude, ...(loc.name ? { Name: loc.name } : {}) } };
    }
    case "contact": {
      const card = requireField(message.contact, "contact");
      return { path: "/chat/send/contact", body: { Phone, Name: card.name, Vcard: vcard(card.name, card.phone) } };
    }
    case "poll":
      return wuzapiPollRequest(Phone, requireField(message.poll, "poll"));
    case "interactive":
      // WhatsApp shows buttons and lists reliably only to official clients: numbered text unless the organization chose native.
      return wuzapiInteractiveRequest(Phone, requireField(message.interactive, "interactive"));
    case "reaction": {
      const reaction = requireField(message.reaction, "reaction");
      // WuzAPI wants "me:" in front of the id when reacting to one of our own messages.
      return { path: "/chat/react", body: { Phone, Body: reaction.emoji, Id: reaction.fromMe ? `me:${reaction.messageId}` : reaction.messageId } };
    }
  }
}

export const wuzapiProvider: WhatsAppProvider = {
  name: "wuzapi",
  addresses: ["group", "lid"],
  features: ["reply", "mentions", "edit", "delete", "typing", "recording", "poll", "forward"],
  // handlers.go: SendPoll {group, header, options}, SendButtons and SendList take no ContextInfo.
  contextless: ["poll", "nativeInteractive"],
  numberedInteractive: true,

  async editMessage(instance, chat, providerMessageId, text) {
    const { path, body } = wuzapiEditRequest(chat, providerMessageId, text);
    await asUser(instance, path, { body });
  },

  async deleteMessage(instance, chat, providerMessageId) {
    const { path, body } = wuzapiDeleteRequest(chat, providerMessageId);
    await asUser(instance, path, { body });
  },

  async presence(instance, chat, state) {
    const { path, body } = wuzapiPresenceRequest(chat, state);
    await asUser(instance, path, { body });
  },
  contactProfile: (instance, phone) => wuzapiContactProfile((path, init) => asUser(instance, path, init), phone),
  setProxy: (instance, proxyUrl) => wuzapiSetProxy((path, init) => asUser(instance, path, init), proxyUrl),

  /**
   * `GET /group/info?groupJID=` answers whatsmeow's GroupInfo (`Name`, `Topic`, `Participants`); the
   * picture comes from `POST /user/avatar` with the group JID (no picture set: answered as an error).
   */
  groups: wuzapiGroups(asUser),

  async groupInfo(instance, groupId) {
    const jid = `${groupId}@g.us`;
    const info = await asUser(instance, `/group/info?groupJID=${encodeURIComponent(jid)}`, { method: "GET" });
    let pictureUrl: string | undefined;
    try {
      pictureUrl = str((await asUser(instance, "/user/avatar", { body: { Phone: jid, Preview: true } })).URL);
    } catch (err) {
      // WuzAPI answers a group without a picture with a 500 ("No avatar found"): the subject still counts.
      if (!(err instanceof ProviderError)) throw err;
    }
    return { id: groupId, subject: str(info.Name), description: str(info.Topic) || undefined, pictureUrl, participants: arr(info.Participants).length };
  },

  async provision(instance) {
    const token = randomToken(24);
    const created = await asAdmin("/admin/users", {
      body: { name: `livchat-${instance.id}`, token, webhook: `${config.appUrl}/hooks/wuzapi`, events: "All" },
    });
    const id = str(created.id) ?? str(created.ID);
    if (!id) throw new ProviderError("wuzapi: user creation answered without an id", true);
    const provisioned = { providerInstanceId: id, providerTokenEnc: encryptSecret(token) };
    if (config.wuzapi.hmacKey) {
      // Webhooks are signed per user; without the key WuzAPI would send them unsigned and we would refuse them.
      await asUser({ ...instance, ...provisioned }, "/session/hmac/config", { body: { hmac_key: config.wuzapi.hmacKey } });
    }
    return provisioned;
  },

  async deprovision(instance) {
    if (!instance.providerInstanceId) return;
    try {
      await asAdmin(`/admin/users/${encodeURIComponent(instance.providerInstanceId)}`, { method: "DELETE" });
    } catch (err) {
      if (err instanceof ProviderError && err.httpStatus === 404) return;
      throw err;
    }
  },

  async connect(instance) {
    try {
      await asUser(instance, "/session/connect", { body: { Subscribe: ["All"], Immediate: true } });
    } catch (err) {
      if (!(err instanceof ProviderError && /already connected/i.test(err.message))) throw err;
    }
    const state = sessionStatus(await asUser(instance, "/session/status"));
    if (state.status === "connected") return state;
    for (let attempt = 0; attempt < wuzapiTiming.qrPollAttempts; attempt++) {
      const qrCode = await fetchQr(instance);
      if (qrCode) return { status: "qr", qrCode };
      await Bun.sleep(wuzapiTiming.qrPollMs);
    }
    return { status: "connecting" };
  },

  async getQr(instance) {
    const state = sessionStatus(await asUser(instance, "/session/status"));
    if (state.status === "connected") return { status: "connected" };
    if (state.status === "disconnected") return { status: "disconnected" };
    const qrCode = await fetchQr(instance);
    return qrCode ? { status: "qr", qrCode } : { status: "connecting" };
  },

  async pairingCode(instance, phone) {
    const e164 = toE164(phone);
    if (!e164) throw validationFailed([{ path: "phone", message: "Enter the phone number in international format" }]);
    const data = await asUser(instance, "/session/pairphone", { body: { Phone: toDigits(e164) } });
    const code = str(data.LinkingCode) ?? str(data.linkingCode) ?? str(data.linking_code);
    if (!code) throw new ProviderError("wuzapi: no pairing code was returned; connect the instance first", true);
    return { code, status: instance.status };
  },

  async status(instance) {
    return sessionStatus(await asUser(instance, "/session/status"));
  },

  async logout(instance) {
    await asUser(instance, "/session/logout", { method: "POST" });
    return { status: "logged_out" };
  },

  async send(instance, message) {
    const { path, body } = sendRequest(await withInlineMedia(message));
    const context = message.type === "reaction" ? undefined : wuzapiContextInfo(message, instance.waJid);
    const data = await asUser(instance, path, { body: context ? { ...body, ContextInfo: context } : body });
    const id = str(data.Id) ?? str(data.id) ?? str(data.ID);
    if (!id) throw new ProviderError("wuzapi: the send was answered without a message id", false);
    return { providerMessageId: id };
  },

  async markRead(instance, chatPhone, providerMessageIds) {
    if (providerMessageIds.length === 0) return;
    const phone = toDigits(toE164(chatPhone) ?? chatPhone);
    await asUser(instance, "/chat/markread", { body: { Id: providerMessageIds, ChatPhone: phone, SenderPhone: phone } });
  },

  async checkNumbers(instance, phones) {
    const valid = phones.map((phone) => ({ phone, e164: toE164(phone) }));
    const queried = valid.filter((p) => p.e164).map((p) => toDigits(p.e164!));
    const found = new Map<string, { exists: boolean; jid?: string }>();
    if (queried.length) {
      const data = await asUser(instance, "/user/check", { body: { Phone: queried } });
      for (const user of arr(data.Users)) {
        const u = obj(user);
        const query = str(u?.Query);
        if (query) found.set(toDigits(toE164(query) ?? query), { exists: u?.IsInWhatsapp === true, jid: normalizeJid(str(u?.JID)) });
      }
    }
    return valid.map(({ phone, e164 }) => {
      if (!e164) return { phone, exists: false };
      const hit = found.get(toDigits(e164));
      return { phone: e164, exists: hit?.exists ?? false, ...(hit?.jid ? { jid: hit.jid } : {}) };
    });
  },
};

// Inbound: WuzAPI webhook payloads → normalized events live in wuzapi.inbound.ts (pure parsing).
export { mapWuzapiPayload, parseWuzapiBody } from "./wuzapi.inbound";
