import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { assertPlatformAdmin } from "@/auth/roles";
import { setReveal, takeFlash, takeReveal } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { mailEnabled } from "@/lib/mailer";
import { PlatformUsersPage } from "@views/auth/platform-users";
import { createResetLinkForUser } from "./password-reset.service";
import { searchUsers } from "./platform-users.service";

const str = (v: unknown) => (typeof v === "string" ? v : "");

/**
 * Platform admins list the install's accounts and create password reset links (the only way to
 * reset a password on an install without SMTP).
 */
export const platformUserPages = new Elysia({ name: "platform-user-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/platform/users",
    async ({ admin, csrfToken, cookie, query, set }) => {
      assertPlatformAdmin(admin);
      set.headers["cache-control"] = "no-store";
      // A reset link created by the post that redirected here, shown this once.
      const reveal = takeReveal(cookie, `reset-link:${admin.user.id}`);
      const resetLink = reveal?.url && reveal.email ? { url: reveal.url, email: reveal.email } : undefined;
      const q = str(query.q).slice(0, 254);
      return PlatformUsersPage({ admin, csrfToken, q, users: await searchUsers(q), canEmail: mailEnabled(), resetLink, flash: takeFlash(cookie) });
    },
    { member: "agent" },
  )
  .post(
    "/platform/users/:id/reset-link",
    async ({ admin, params, request, cookie }) => {
      const { user, url } = await createResetLinkForUser(admin, params.id);
      // Post → redirect → get: a refresh cannot mint another link; the link rides along once, encrypted.
      setReveal(cookie, `reset-link:${admin.user.id}`, { url, email: user.email });
      return hxRedirect(request, `/platform/users?q=${encodeURIComponent(user.email)}`);
    },
    { member: "agent" },
  );
