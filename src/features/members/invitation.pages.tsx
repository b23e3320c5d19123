import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { loadSignedInUser } from "@/auth/plugin";
import { SESSION_COOKIE } from "@/auth/session";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { InvitationPage } from "@views/members/invitation";
import { acceptInvitation, findInvitationByToken, type InvitationLookup } from "./invitation.service";

/** 404 for a link that never existed, 410 for one that did but cannot be used any more. */
const statusOf = (lookup: InvitationLookup | null) => (!lookup ? 404 : lookup.state === "pending" ? 200 : 410);

/**
 * The public side of invitations: the link's landing page (works signed out) and accepting it
 * (needs a signed-in user, any account).
 */
export const invitationPages = new Elysia({ name: "invitation-pages" })
  .use(csrfPlugin)
  .get("/invitations/:token", async ({ params, cookie, csrfToken, set }) => {
    const [lookup, signedIn] = await Promise.all([findInvitationByToken(params.token), loadSignedInUser(cookie[SESSION_COOKIE]?.value as string | undefined)]);
    set.status = statusOf(lookup);
    // The token is in the URL: keep it out of Referer headers sent to other sites. ("no-referrer"
    // would also make the browser send `Origin: null` on the accept form, which the CSRF check refuses.)
    set.headers["referrer-policy"] = "same-origin";
    set.headers["cache-control"] = "no-store";
    return InvitationPage({ csrfToken, token: params.token, lookup, signedInAs: signedIn?.user.email ?? null, flash: takeFlash(cookie) });
  })
  .post("/invitations/:token/accept", async ({ params, cookie, csrfToken, request, set }) => {
    const signedIn = await loadSignedInUser(cookie[SESSION_COOKIE]?.value as string | undefined);
    if (!signedIn) return hxRedirect(request, `/login?next=${encodeURIComponent(`/invitations/${params.token}`)}`);
    const result = await acceptInvitation({ type: "user", id: signedIn.user.id, sessionId: signedIn.session.id, request }, params.token);
    if (!result.ok) {
      const lookup = await findInvitationByToken(params.token);
      set.status = statusOf(lookup) === 200 ? 410 : statusOf(lookup);
      set.headers["referrer-policy"] = "same-origin";
      return InvitationPage({ csrfToken, token: params.token, lookup, signedInAs: signedIn.user.email });
    }
    setFlash(cookie, "success", tText("members:flash.joined", { organization: result.organization.name, role: tText(`members:roles.${result.role}`) }));
    return hxRedirect(request, "/");
  });
