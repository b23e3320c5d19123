import type { Cookie } from "elysia";
import { config } from "@/config";
import { decryptSecret, encryptSecret } from "@/lib/crypto";

export type Flash = { type: "success" | "error" | "info"; message: string };
export const FLASH_COOKIE = "lc_flash";

type Jar = Record<string, Cookie<unknown>>;

/** Stores a one-shot message shown on the next page render (survives the redirect). */
export function setFlash(cookie: Jar, type: Flash["type"], message: string): void {
  cookie[FLASH_COOKIE]!.set({
    value: JSON.stringify({ type, message: message.slice(0, 300) }),
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    path: "/",
    maxAge: 60,
  });
}

/** Reads and clears the pending flash message, if any. */
export function takeFlash(cookie: Jar): Flash | undefined {
  const jar = cookie[FLASH_COOKIE];
  if (!jar?.value) return undefined;
  const raw = jar.value;
  jar.remove();
  try {
    const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as Flash;
    if (parsed && typeof parsed.message === "string" && ["success", "error", "info"].includes(parsed.type)) return parsed;
  } catch {}
  return undefined;
}

export const REVEAL_COOKIE = "lc_reveal";

/**
 * A secret created by a form post (webhook signing secret, API key, invitation link) carried across
 * the redirect so the page after it can show it once: create → 303 → GET keeps refresh and
 * double-submit from creating another. Encrypted under APP_SECRET, httpOnly, short-lived, and tied
 * to `purpose` (e.g. "webhook:<id>") so only the page it was meant for ever shows it.
 */
export function setReveal(cookie: Jar, purpose: string, data: Record<string, string>): void {
  cookie[REVEAL_COOKIE]!.set({
    value: encryptSecret(JSON.stringify({ purpose, data })),
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    path: "/",
    maxAge: 120,
  });
}

/** The secret meant for `purpose`, read once: the cookie is cleared by the first page that looks. */
export function takeReveal(cookie: Jar, purpose: string): Record<string, string> | undefined {
  const jar = cookie[REVEAL_COOKIE];
  if (!jar?.value || typeof jar.value !== "string") return undefined;
  const raw = jar.value;
  try {
    const parsed = JSON.parse(decryptSecret(raw)) as { purpose?: unknown; data?: unknown };
    if (parsed.purpose !== purpose || !parsed.data || typeof parsed.data !== "object") return undefined;
    jar.set({ value: "", path: "/", maxAge: 0, expires: new Date(0) });
    return parsed.data as Record<string, string>;
  } catch {
    jar.set({ value: "", path: "/", maxAge: 0, expires: new Date(0) });
    return undefined;
  }
}
