import { Elysia } from "elysia";
import { registrationPages } from "@/features/registrations/registration.pages";
import { accountEmailPages } from "./account-email.pages";
import { platformUserPages } from "./platform-users.pages";

/**
 * Email steps (confirmation, password reset) and the platform pages behind them (users, sign-up
 * requests). Typed as a plain Elysia: these HTML routes need no client types, and their full route
 * types pushed createApp()'s chain past TypeScript's instantiation depth.
 */
export const accountEmailFeature = new Elysia({ name: "account-email-feature" })
  .use(accountEmailPages)
  .use(platformUserPages)
  .use(registrationPages) as unknown as Elysia;
