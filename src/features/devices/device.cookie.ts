import type { Cookie } from "elysia";
import { config } from "@/config";
import { signValue, unsignValue } from "@/lib/crypto";
import { createVisitorDevice, findVisitorDevice, touchDevice, type Device } from "./device.service";
import { isUuid } from "@/lib/ids";

/** The visitor's device cookie (try before sign-up); value = signValue(deviceId). */
export const DEVICE_COOKIE = "lc_device";
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

type Jar = Record<string, Cookie<unknown>>;

/** The device id in a validly signed `lc_device` cookie, or null (absent, tampered, malformed). */
export function readDeviceId(cookie: Jar): string | null {
  const raw = cookie[DEVICE_COOKIE]?.value;
  if (typeof raw !== "string" || raw.length > 200) return null;
  const id = unsignValue(raw);
  return id && isUuid(id) ? id : null;
}

export function setDeviceCookie(cookie: Jar, deviceId: string): void {
  cookie[DEVICE_COOKIE]!.set({
    value: signValue(deviceId),
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    path: "/",
    maxAge: ONE_YEAR_SECONDS,
  });
}

/**
 * The visitor's unclaimed device, created (org-less `browser`, with ip and user agent) and put in the
 * cookie when the cookie is absent, invalid, revoked — or already claimed by an organization, because
 * a signed-out browser holding that cookie must not act as the organization.
 */
export async function ensureVisitorDevice(cookie: Jar, request: Request): Promise<Device> {
  const id = readDeviceId(cookie);
  const existing = id ? await findVisitorDevice(id) : null;
  if (existing) return touchDevice(existing, request);
  const device = await createVisitorDevice(request);
  setDeviceCookie(cookie, device.id);
  return device;
}
