import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { assertPlatformAdmin } from "@/features/registrations/registration.service";
import { takeFlash } from "@/lib/flash";
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
      assertPlatformAdmin(admin.user);
      set.headers["cache-control"] = "no-store";
      const q = str(query.q).slice(0, 254);
      return PlatformUsersPage({ admin, csrfToken, q, users: await searchUsers(q), canEmail: mailEnabled(), flash: takeFlash(cookie) });
    },
    { member: "agent" },
  )
  .post(
    "/platform/users/:id/reset-link",
    async ({ admin, csrfToken, params, request, set }) => {
      assertPlatformAdmin(admin.user);
      const { user, url } = await createResetLinkForUser({ actor: admin.user, userId: params.id, request });
      // Rendered, not redirected: the link holds the token and is shown this once.
      set.status = 201;
      set.headers["cache-control"] = "no-store";
      return PlatformUsersPage({ admin, csrfToken, q: user.email, users: await searchUsers(user.email), canEmail: mailEnabled(), resetLink: { email: user.email, url } });
    },
    { member: "agent" },
  );
