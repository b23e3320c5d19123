import { Elysia } from "elysia";
import { eventApi } from "@/features/events/event.api";
import { eventPages } from "@/features/events/event.pages";
import { usageApi } from "@/features/usage/usage.api";
import { usagePages } from "@/features/usage/usage.pages";

/**
 * The event log and usage routes as one plugin, typed as a plain Elysia instance: app.ts's long
 * `.use()` chain otherwise exceeds TypeScript's instantiation depth (TS2589). Nothing consumes these
 * routes' static types (no Eden client), and each route keeps its own full typing inside its plugin.
 */
export const observabilityRoutes: Elysia = new Elysia({ name: "observability-routes" })
  .use(eventApi)
  .use(eventPages)
  .use(usageApi)
  .use(usagePages) as unknown as Elysia;
