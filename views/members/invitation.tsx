import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
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

/** Why a link cannot be used: catalog keys `members:invitation.<state>Title` / `<state>Text`. */
type Unusable = Exclude<InvitationState, "pending"> | "unknown";

/** The public page behind an invitation link. */
export function InvitationPage({ csrfToken, token, lookup, signedInAs, flash }: Props) {
  const state = lookup?.state ?? "unknown";
  if (!lookup || state !== "pending") {
    const unusable = state as Unusable;
    return (
      <PublicLayout title={tText(`members:invitation.${unusable}Title`)} csrfToken={csrfToken} flash={flash}>
        <div class="card">
          <h1>{t(`members:invitation.${unusable}Title`)}</h1>
          {lookup ? <p>{t("members:invitation.organization", { organization: lookup.organization.name })}</p> : ""}
          <p>{t(`members:invitation.${unusable}Text`)}</p>
          {state === "expired" && lookup ? (
            <p class="muted small">
              {t("members:invitation.expiredAt")} <Time at={lookup.invitation.expiresAt} />
            </p>
          ) : (
            ""
          )}
          <p>
            <a href={signedInAs ? "/" : "/login"}>{signedInAs ? t("members:invitation.toDashboard") : t("members:invitation.signIn")}</a>
          </p>
        </div>
      </PublicLayout>
    );
  }
  const path = `/invitations/${token}`;
  const next = encodeURIComponent(path);
  return (
    <PublicLayout title={tText("members:invitation.title")} csrfToken={csrfToken} flash={flash}>
      <div class="card">
        <h1>{t("members:invitation.heading")}</h1>
        <p>{t("members:invitation.join", { organization: lookup.organization.name, role: tText(`members:roles.${lookup.invitation.role}`) })}</p>
        <p class="muted small">
          {t("members:invitation.sentTo", { email: lookup.invitation.email })} <Time at={lookup.invitation.expiresAt} />
        </p>
        {signedInAs ? (
          <form method="post" action={`${path}/accept`}>
            <CsrfField token={csrfToken} />
            <p class="small">{t("members:invitation.signedInAs", { email: signedInAs })}</p>
            {signedInAs.toLowerCase() !== lookup.invitation.email.toLowerCase() ? (
              <p class="flash flash-info small">{t("members:invitation.otherAddress", { email: lookup.invitation.email })}</p>
            ) : (
              ""
            )}
            <button type="submit">{t("members:invitation.accept")}</button>
          </form>
        ) : (
          <div class="row">
            <a class="button" href={`/login?next=${next}`}>
              {t("members:invitation.signInToAccept")}
            </a>
            {/* Sign-up with the invite token joins this organization directly (auth.service signUp). */}
            <a class="button secondary" href={`/signup?invite=${encodeURIComponent(token)}`}>
              {t("members:invitation.createAccount")}
            </a>
          </div>
        )}
      </div>
    </PublicLayout>
  );
}
