import type { OAuthProviderId } from "@/features/auth/oauth";
import { t } from "@/lib/i18n";

/** "Continue with …" links for the configured OAuth/OIDC providers; nothing when none is set up. */
export function ProviderButtons({ providers, query }: { providers: { id: OAuthProviderId; label: string }[]; query: string }) {
  if (providers.length === 0) return "";
  return (
    <div class="oauth-providers" style="display:flex;flex-direction:column;gap:.5rem;margin:1rem 0">
      <p class="muted small" style="margin:0;text-align:center">
        {t("auth:signIn.or")}
      </p>
      {providers.map((p) => (
        <a class="button secondary" style="text-align:center" href={`/login/${p.id}${query}`} data-provider={p.id}>
          {t("auth:signIn.continueWith", { provider: p.label })}
        </a>
      ))}
    </div>
  );
}

/** `?next=…&invite=…` for links that must carry the visitor's destination (values already vetted). */
export function carryQuery(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** "Send the confirmation link again" for an address (the answer never says whether it has an account). */
export function ResendConfirmationForm({ csrfToken, email }: { csrfToken: string; email?: string }) {
  return (
    <form method="post" action="/verify-email/resend" class="resend-confirmation" style="margin-top:1rem">
      <input type="hidden" name="_csrf" value={csrfToken} />
      <label for="resend-email" class="small">
        {t("auth:resend.label")}
      </label>
      <div style="display:flex;gap:.5rem">
        <input id="resend-email" name="email" type="email" required maxlength={254} autocomplete="email" value={email ?? ""} style="flex:1" />
        <button type="submit" class="secondary">
          {t("auth:resend.submit")}
        </button>
      </div>
    </form>
  );
}
