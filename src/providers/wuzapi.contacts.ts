import { toDigits } from "@/lib/phone";
import { obj, str, type ProviderRequest } from "./http";
import { ProviderError, type ContactProfile } from "./provider";

/**
 * WuzAPI contact calls (asternic/wuzapi handlers.go), translated only. `call` is the adapter's
 * per-instance request (the user's `Token` header, `{code, data, success}` unwrapped).
 *
 * - `POST /user/info {Phone: [jid]}` answers whatsmeow's `GetUserInfo`: `{Users: {<jid>: UserInfo}}`, a
 *   UserInfo carrying `Status`, `PictureID` and, for business accounts, `VerifiedName.Details.verifiedName`. WhatsApp does not hand out a person's push name here: it arrives with their messages.
 * - `POST /user/avatar {Phone, Preview}` answers `ProfilePictureInfo {URL, ID, Type}`; a person without a
 *   picture, or who hides it from us, is answered as an error (500 "No avatar found" / whatsmeow's
 *   "no profile picture" / "hidden"), which means "no picture", not a failure.
 * - Blocking: WuzAPI's routes have no block-list endpoint (whatsmeow's UpdateBlocklist is not exposed), so
 *   the adapter leaves `setWhatsAppBlocked` out and the contact service refuses it (unsupported_by_provider).
 * - `POST /session/proxy {proxy_url, enable}`: http or socks5 only, refused while connected.
 */
export type WuzapiCall = (path: string, init?: ProviderRequest) => Promise<Record<string, unknown>>;

const NO_PICTURE = /no avatar|not set|no profile picture|hidden|item-not-found|not-authorized/i;

export async function wuzapiContactProfile(call: WuzapiCall, phone: string): Promise<ContactProfile> {
  const jid = `${toDigits(phone)}@s.whatsapp.net`;
  const info = await call("/user/info", { body: { Phone: [jid] } });
  const users = obj(info.Users) ?? {};
  const user = obj(users[jid]) ?? obj(Object.values(users)[0]);
  const details = obj(obj(user?.VerifiedName)?.Details);
  const name = str(details?.verifiedName) ?? str(details?.VerifiedName);
  let pictureUrl: string | null = null;
  try {
    pictureUrl = str((await call("/user/avatar", { body: { Phone: jid, Preview: false } })).URL) ?? null;
  } catch (err) {
    if (!(err instanceof ProviderError && NO_PICTURE.test(err.message))) throw err;
  }
  return { ...(name ? { name } : {}), pictureUrl };
}

export async function wuzapiSetProxy(call: WuzapiCall, proxyUrl: string | null): Promise<void> {
  await call("/session/proxy", { body: proxyUrl ? { proxy_url: proxyUrl, enable: true } : { enable: false } });
}
