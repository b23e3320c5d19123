import { Elysia } from "elysia";
import { accountPages } from "@/features/account/account.pages";
import { settingsPages } from "./settings.pages";

/**
 * Personal settings (the account pages) and the organization's settings as one plugin, so app.ts's
 * `.use()` chain does not grow: its length is what TypeScript's instantiation depth limits.
 */
export const settingsFeature = new Elysia({ name: "settings-feature" }).use(accountPages).use(settingsPages);
