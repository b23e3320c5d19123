import {
  ArcticFetchError,
  CodeChallengeMethod,
  decodeIdToken,
  generateCodeVerifier,
  generateState,
  GitHub,
  Google,
  OAuth2Client,
  OAuth2RequestError,
  UnexpectedErrorResponseBodyError,
  UnexpectedResponseError,
  type OAuth2Tokens,
} from "arctic";
import { config } from "@/config";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import type { OAuthProfile } from "./auth.service";

export const OAUTH_PROVIDERS = ["github", "google", "oidc"] as const;
export type OAuthProviderId = (typeof OAUTH_PROVIDERS)[number];

/** Provider calls that hang must not hold the sign-in request forever. */
const FETCH_TIMEOUT_MS = 10_000;

/**
 * A sign-in through the provider failed in a way the visitor should hear about (never a 500):
 * 400 when the provider refused or answered nonsense, 403 when its answer does not allow a sign-in,
 * 502 when it could not be reached.
 */
export class OAuthError extends Error {
  constructor(
    message: string,
    public readonly status: 400 | 403 | 502 = 400,
  ) {
    super(message);
  }
}

export const callbackUrl = (provider: OAuthProviderId) => `${config.appUrl}/login/${provider}/callback`;

/** Providers whose credentials are configured, with the label of their button; read per call because tests change config. */
export function configuredProviders(): { id: OAuthProviderId; label: string }[] {
  const out: { id: OAuthProviderId; label: string }[] = [];
  if (config.oauth.github) out.push({ id: "github", label: "GitHub" });
  if (config.oauth.google) out.push({ id: "google", label: "Google" });
  if (config.oauth.oidc) out.push({ id: "oidc", label: config.oauth.oidc.name });
  return out;
}

export function isConfigured(provider: string): provider is OAuthProviderId {
  return configuredProviders().some((p) => p.id === provider);
}

/**
 * The provider's authorization URL plus the state and PKCE verifier the callback must see again.
 * GitHub's OAuth apps do not support PKCE, so its verifier is null.
 */
export function createAuthorization(provider: OAuthProviderId): { url: URL; state: string; codeVerifier: string | null } {
  const state = generateState();
  switch (provider) {
    case "github": {
      const c = config.oauth.github!;
      const url = new GitHub(c.clientId, c.clientSecret, callbackUrl("github")).createAuthorizationURL(state, ["read:user", "user:email"]);
      return { url, state, codeVerifier: null };
    }
    case "google": {
      const c = config.oauth.google!;
      const codeVerifier = generateCodeVerifier();
      const url = new Google(c.clientId, c.clientSecret, callbackUrl("google")).createAuthorizationURL(state, codeVerifier, ["openid", "profile", "email"]);
      return { url, state, codeVerifier };
    }
    case "oidc": {
      const c = config.oauth.oidc!;
      const codeVerifier = generateCodeVerifier();
      const client = new OAuth2Client(c.clientId, c.clientSecret, callbackUrl("oidc"));
      const url = client.createAuthorizationURLWithPKCE(c.authorizationUrl, state, CodeChallengeMethod.S256, codeVerifier, ["openid", "profile", "email"]);
      return { url, state, codeVerifier };
    }
  }
}

/** Exchanges the callback's code for tokens and asks the provider who signed in. */
export async function fetchProfile(provider: OAuthProviderId, code: string, codeVerifier: string | null): Promise<OAuthProfile> {
  try {
    switch (provider) {
      case "github":
        return await githubProfile(code);
      case "google":
        return await googleProfile(code, codeVerifier);
      case "oidc":
        return await oidcProfile(code, codeVerifier);
    }
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    if (err instanceof OAuth2RequestError) throw new OAuthError(tText("auth:errors.provider.refused", { code: err.code }));
    if (err instanceof ArcticFetchError || err instanceof UnexpectedResponseError || err instanceof UnexpectedErrorResponseBodyError) {
      log.warn("oauth token exchange failed", { provider, err: err.message });
      throw new OAuthError(tText("auth:errors.provider.unreachable"), 502);
    }
    log.warn("oauth profile fetch failed", { provider, err: err instanceof Error ? err.message : String(err) });
    const unreachable = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError" || err instanceof TypeError);
    throw unreachable ? new OAuthError(tText("auth:errors.provider.unreachable"), 502) : new OAuthError(tText("auth:errors.provider.unusable"));
  }
}

async function getJson(url: string, accessToken: string, extraHeaders: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${accessToken}`, accept: "application/json", "user-agent": "LivChat", ...extraHeaders },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!res.ok) throw new OAuthError(tText("auth:errors.provider.status", { status: res.status }), res.status >= 500 ? 502 : 400);
  return res.json();
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v.trim() : typeof v === "number" ? String(v) : null);
const unverifiedEmailMessage = () => tText("auth:errors.provider.noVerifiedEmail");

async function githubProfile(code: string): Promise<OAuthProfile> {
  const c = config.oauth.github!;
  const tokens = await new GitHub(c.clientId, c.clientSecret, callbackUrl("github")).validateAuthorizationCode(code);
  const headers = { "x-github-api-version": "2022-11-28" };
  const user = (await getJson("https://api.github.com/user", tokens.accessToken(), headers)) as Record<string, unknown>;
  const emails = (await getJson("https://api.github.com/user/emails", tokens.accessToken(), headers)) as {
    email?: string;
    primary?: boolean;
    verified?: boolean;
  }[];
  // Prefer the primary verified address; GitHub's /user email may be a hidden or unverified one.
  const list = Array.isArray(emails) ? emails : [];
  const chosen = list.find((e) => e.primary && e.verified) ?? list.find((e) => e.verified) ?? null;
  const id = str(user.id);
  if (!id) throw new OAuthError(tText("auth:errors.provider.noUserId"));
  return {
    provider: "github",
    providerUserId: id,
    email: chosen?.email ?? null,
    emailVerified: chosen ? true : null,
    name: str(user.name) ?? str(user.login) ?? "",
    avatarUrl: str(user.avatar_url),
  };
}

async function googleProfile(code: string, codeVerifier: string | null): Promise<OAuthProfile> {
  const c = config.oauth.google!;
  if (!codeVerifier) throw new OAuthError(tText("auth:errors.provider.expired"));
  const tokens = await new Google(c.clientId, c.clientSecret, callbackUrl("google")).validateAuthorizationCode(code, codeVerifier);
  // The ID token came straight from Google's token endpoint over TLS, which OIDC Core §3.1.3.7 accepts
  // in place of checking its signature.
  return claimsProfile("google", idTokenClaims(tokens));
}

async function oidcProfile(code: string, codeVerifier: string | null): Promise<OAuthProfile> {
  const c = config.oauth.oidc!;
  if (!codeVerifier) throw new OAuthError(tText("auth:errors.provider.expired"));
  const client = new OAuth2Client(c.clientId, c.clientSecret, callbackUrl("oidc"));
  const tokens = await client.validateAuthorizationCode(c.tokenUrl, code, codeVerifier);
  const claims = (await getJson(c.userinfoUrl, tokens.accessToken())) as Record<string, unknown>;
  return claimsProfile("oidc", claims);
}

function idTokenClaims(tokens: OAuth2Tokens): Record<string, unknown> {
  try {
    return decodeIdToken(tokens.idToken()) as Record<string, unknown>;
  } catch {
    throw new OAuthError(tText("auth:errors.provider.noIdToken"));
  }
}

/**
 * Standard OIDC claims (sub, email, email_verified, name, picture) → profile. Only `email_verified:
 * true` signs anyone in: an absent claim, `false` or a string is not the provider vouching for the
 * address, and an unvouched address could be someone else's.
 */
function claimsProfile(provider: OAuthProviderId, claims: Record<string, unknown>): OAuthProfile {
  const sub = str(claims.sub);
  if (!sub) throw new OAuthError(tText("auth:errors.provider.noSubject"));
  if (claims.email_verified !== true) throw new OAuthError(unverifiedEmailMessage(), 403);
  const email = str(claims.email);
  const name = str(claims.name) ?? ([str(claims.given_name), str(claims.family_name)].filter(Boolean).join(" ") || str(claims.preferred_username) || "");
  return {
    provider,
    providerUserId: sub.slice(0, 255),
    email: email && email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null,
    emailVerified: email ? true : null,
    name: name.slice(0, 100),
    avatarUrl: str(claims.picture)?.startsWith("https://") ? str(claims.picture) : null,
  };
}
