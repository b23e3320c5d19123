import type { Cookie } from "elysia";
import { config } from "@/config";
import { CHALLENGE_LIMIT } from "./two-factor.service";

/** Holds the sign-in challenge token between the password (or provider) step and /two-factor. */
export const CHALLENGE_COOKIE = "lc_2fa";
export const SECOND_FACTOR_PATH = "/two-factor";

type Jar = Record<string, Cookie<unknown>>;

export function setChallengeCookie(cookie: Jar, token: string | null): void {
  cookie[CHALLENGE_COOKIE]!.set({
    value: token ?? "",
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    // Sent to the second-factor step only: it is worth nothing anywhere else.
    path: SECOND_FACTOR_PATH,
    maxAge: token ? Math.floor(CHALLENGE_LIMIT.ttlMs / 1000) : 0,
  });
}

export function readChallengeCookie(cookie: Jar): string | undefined {
  const value = cookie[CHALLENGE_COOKIE]?.value;
  return typeof value === "string" && value ? value : undefined;
}
