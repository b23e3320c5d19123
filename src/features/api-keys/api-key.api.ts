import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { meSchema } from "./api-key.openapi";

/**
 * `GET /v1/me`: what the presented key is (organization, bindings, scopes, expiry, rate limit).
 * Integrations call it to check a key at start-up; it is answered from the key cache, without a query.
 */
export const apiKeyApi = new Elysia({ name: "api-key-api" }).use(authPlugin).get(
  "/v1/me",
  ({ apiKey }) => ({
    apiKey: {
      id: apiKey.id,
      organizationId: apiKey.organizationId,
      instanceId: apiKey.instanceId,
      deviceId: apiKey.deviceId,
      scopes: apiKey.scopes,
      expiresAt: apiKey.expiresAt,
      requestsPerMinute: apiKey.requestsPerMinute,
      maxMessagesPerDay: apiKey.maxMessagesPerDay,
    },
  }),
  { apiKey: "", detail: { tags: ["API keys"], summary: "Describe the presented API key", responses: ok(meSchema) } },
);
