import type { Flash } from "@/lib/flash";
import type { InvitationLookup, InvitationState } from "@/features/members/invitation.service";
import { PublicLayout } from "../layouts/public";
import { CsrfField, Time } from "../components/ui";

type Props = {
  csrfToken: string;
  token: string;
  lookup: InvitationLookup | null;
  /** Email of the signed-in user, if any. */
  signedInAs?: string | null;
  flash?: Flash;
};

const UNUSABLE: Record<Exclude<InvitationState, "pending"> | "unknown", { title: string; text: string }> = {
  unknown: { title: "Invitation not found", text: "This invitation link is not valid. Check that you copied the whole link, or ask for a new invitation." },
  expired: { title: "Invitation expired", text: "This invitation has expired. Ask an admin of the organization to send you a new one." },
  accepted: { title: "Invitation already used", text: "This invitation has already been accepted. If that was you, sign in to open the organization." },
  revoked: { title: "Invitation revoked", text: "This invitation was revoked by an admin of the organization. Ask them for a new one if you still need access." },
};

/** The public page behind an invitation link. */
export function InvitationPage({ csrfToken, token, lookup, signedInAs, flash }: Props) {
  const state = lookup?.state ?? "unknown";
  if (!lookup || state !== "pending") {
    const copy = UNUSABLE[state as keyof typeof UNUSABLE];
    return (
      <PublicLayout title={copy.title} csrfToken={csrfToken} flash={flash}>
        <div class="card">
          <h1 safe>{copy.title}</h1>
          {lookup ? (
            <p>
              Organization: <strong safe>{lookup.organization.name}</strong>
            </p>
          ) : (
            ""
          )}
          <p safe>{copy.text}</p>
          {state === "expired" && lookup ? (
            <p class="muted small">
              Expired <Time at={lookup.invitation.expiresAt} />
            </p>
          ) : (
            ""
          )}
          <p>
            <a href={signedInAs ? "/" : "/login"}>{signedInAs ? "Go to the dashboard" : "Sign in"}</a>
          </p>
        </div>
      </PublicLayout>
    );
  }
  const path = `/invitations/${token}`;
  const next = encodeURIComponent(path);
  return (
    <PublicLayout title="Invitation" csrfToken={csrfToken} flash={flash}>
      <div class="card">
        <h1>You are invited</h1>
        <p>
          Join <strong safe>{lookup.organization.name}</strong> on LivChat as <strong>{lookup.invitation.role}</strong>.
        </p>
        <p class="muted small">
          Sent to <span safe>{lookup.invitation.email}</span> · expires <Time at={lookup.invitation.expiresAt} />
        </p>
        {signedInAs ? (
          <form method="post" action={`${path}/accept`}>
            <CsrfField token={csrfToken} />
            <p class="small">
              Signed in as <strong safe>{signedInAs}</strong>.
            </p>
            {signedInAs.toLowerCase() !== lookup.invitation.email.toLowerCase() ? (
              <p class="flash flash-info small">
                This invitation was sent to <span safe>{lookup.invitation.email}</span>. Accepting adds the account you are signed in with.
              </p>
            ) : (
              ""
            )}
            <button type="submit">Accept invitation</button>
          </form>
        ) : (
          <div class="row">
            <a class="button" href={`/login?next=${next}`}>
              Sign in to accept
            </a>
            {/* Sign-up with the invite token joins this organization directly (auth.service signUp). */}
            <a class="button secondary" href={`/signup?invite=${encodeURIComponent(token)}`}>
              Create an account
            </a>
          </div>
        )}
      </div>
    </PublicLayout>
  );
}
