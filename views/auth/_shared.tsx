import type { OAuthProviderId } from "@/features/auth/oauth";

/** "Continue with …" links for the configured OAuth/OIDC providers; nothing when none is set up. */
export function ProviderButtons({ providers, query }: { providers: { id: OAuthProviderId; label: string }[]; query: string }) {
  if (providers.length === 0) return "";
  return (
    <div class="oauth-providers" style="display:flex;flex-direction:column;gap:.5rem;margin:1rem 0">
      <p class="muted small" style="margin:0;text-align:center">
        or
      </p>
      {providers.map((p) => (
        <a class="button secondary" style="text-align:center" href={`/login/${p.id}${query}`} data-provider={p.id} safe>
          {`Continue with ${p.label}`}
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
