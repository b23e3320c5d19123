import { Elysia } from "elysia";
import { triggerApi } from "@/features/triggers/trigger.api";
import { triggerPages } from "@/features/triggers/trigger.pages";
import { flowApi } from "./flow.api";
import { flowPages } from "./flow.pages";

/**
 * Triggers and flows (pages and `/v1`) as one plugin, so app.ts adds one `.use()` — its chain is long
 * enough that TypeScript's instantiation depth is the limiting factor.
 */
export const automationFeature = new Elysia({ name: "automation-feature" }).use(triggerPages).use(flowPages).use(triggerApi).use(flowApi);
