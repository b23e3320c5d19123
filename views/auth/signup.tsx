import type { OAuthProviderId } from "@/features/auth/oauth";
import { AUTH_LIMITS } from "@/features/auth/auth.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { CsrfField, Field } from "../components/ui";
import { PublicLayout } from "../layouts/public";
import { carryQuery, ProviderButtons } from "./_shared";

export type SignUpPageProps = {
  csrfToken: string;
  values?: { name?: string; email?: string; organizationName?: string };
  next?: string;
  errors?: FieldError[];
  /** Form-level message (e.g. the email is taken, or why sign-up is refused). */
  message?: string;
  /** `refused`: the form is not offered (closed, invitation required or invalid). */
  refused?: string;
  firstAccount?: boolean;
  /** SIGNUP=approval: the account exists only once a platform admin approves it. */
  approval?: boolean;
  invitation?: { token: string; organizationName: string; email: string; role: string };
  providers: { id: OAuthProviderId; label: string }[];
  flash?: Flash;
};

export function SignUpPage(p: SignUpPageProps) {
  const next = p.next && p.next !== "/" ? p.next : undefined;
  return (
    <PublicLayout title="Create your account" csrfToken={p.csrfToken} flash={p.flash}>
      <div class="card">
        <h1>Create your account</h1>
        {p.refused ? (
          <p class="flash flash-info" role="status" data-signup="refused" safe>
            {p.refused}
          </p>
        ) : (
          <>
            {p.firstAccount ? (
              <p class="muted small">This is the first account on this server: it becomes the platform administrator.</p>
            ) : (
              ""
            )}
            {p.approval ? (
              <p class="muted small" data-signup="approval">
                New accounts on this server are reviewed by an administrator: you can sign in once yours is approved.
              </p>
            ) : (
              ""
            )}
            {p.invitation ? (
              <p class="flash flash-info" safe>
                {`You were invited to join ${p.invitation.organizationName} as ${p.invitation.role}.`}
              </p>
            ) : (
              ""
            )}
            {p.message ? (
              <p class="flash flash-error" role="alert" safe>
                {p.message}
              </p>
            ) : (
              ""
            )}
            <form method="post" action={`/signup${carryQuery({ next })}`} novalidate>
              <CsrfField token={p.csrfToken} />
              {p.invitation ? <input type="hidden" name="invite" value={p.invitation.token} /> : ""}
              <Field label="Your name" name="name" value={p.values?.name} errors={p.errors} required maxlength={AUTH_LIMITS.name} autocomplete="name" />
              <Field
                label="Email"
                name="email"
                type="email"
                value={p.values?.email ?? p.invitation?.email}
                errors={p.errors}
                required
                maxlength={AUTH_LIMITS.email}
                autocomplete="email"
              />
              <Field
                label="Password"
                name="password"
                type="password"
                errors={p.errors}
                required
                maxlength={AUTH_LIMITS.passwordMax}
                autocomplete="new-password"
                hint={`At least ${AUTH_LIMITS.passwordMin} characters.`}
              />
              {p.invitation ? (
                ""
              ) : (
                <Field
                  label="Organization name"
                  name="organizationName"
                  value={p.values?.organizationName}
                  errors={p.errors}
                  required
                  maxlength={AUTH_LIMITS.organizationName}
                  autocomplete="organization"
                  hint="Your company or project; you can rename it later."
                />
              )}
              <button type="submit" style="width:100%">
                Create account
              </button>
            </form>
            <ProviderButtons providers={p.providers} query={carryQuery({ next, invite: p.invitation?.token })} />
          </>
        )}
      </div>
      <p class="muted small">
        Already have an account? <a href={`/login${carryQuery({ next })}`}>Sign in</a>
      </p>
    </PublicLayout>
  );
}
