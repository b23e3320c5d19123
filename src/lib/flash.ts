import type { Cookie } from "elysia";
import { config } from "@/config";

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
