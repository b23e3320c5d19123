import { Elysia } from "elysia";
import { messageApi } from "@/features/messages/message.api";
import { tryPages } from "@/features/try/try.pages";
import { instanceApi } from "./instance.api";
import { instancePages } from "./instance.pages";

/**
 * Instances, outbound messages and the try-before-sign-up pages as one plugin, so app.ts adds one
 * `.use()` — its chain is long enough that TypeScript's instantiation depth is the limiting factor.
 */
export const messagingFeature = new Elysia({ name: "messaging-feature" }).use(instanceApi).use(instancePages).use(messageApi).use(tryPages);
