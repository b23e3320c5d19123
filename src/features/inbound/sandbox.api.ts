import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { tenantOf } from "@/lib/tenant";
import { sandboxInboundResultSchema, sandboxScanResultSchema } from "./sandbox.openapi";
import { sandboxIdParams, sandboxInboundSchema, sandboxScanSchema } from "./sandbox.schema";
import { scanSandboxInstance, simulateSandboxInbound } from "./sandbox.service";

/** `/v1/sandbox`: drive a sandbox instance as its phone and its contacts would. */
export const sandboxApi = new Elysia({ name: "sandbox-api", prefix: "/v1/sandbox/instances" })
  .use(authPlugin)
  .post(
    "/:id/scan",
    async ({ apiKey, params, body }) => {
      const instance = await scanSandboxInstance(tenantOf(apiKey), params.id, body ?? undefined, apiKey.instanceId);
      return { id: instance.id, status: instance.status, waJid: instance.waJid, waName: instance.waName };
    },
    {
      apiKey: "instances:write",
      params: sandboxIdParams,
      body: sandboxScanSchema,
      detail: {
        tags: ["Sandbox"],
        summary: "Simulate scanning the QR code",
        description:
          "Pairs a sandbox instance whose QR is showing (after `POST /v1/instances/:id/connect`), or one that handed out a pairing code when `{code}` is sent. Emits `instance.connected`.",
        responses: ok(sandboxScanResultSchema),
      },
    },
  )
  .post(
    "/:id/inbound",
    async ({ apiKey, params, body, set }) => {
      const result = await simulateSandboxInbound(tenantOf(apiKey), params.id, body, apiKey.instanceId);
      set.status = 201;
      return {
        messageId: result.message!.id,
        providerMessageId: result.message!.providerMessageId,
        conversationId: result.conversation!.id,
        contactId: result.contact!.id,
      };
    },
    {
      apiKey: "messages:write",
      params: sandboxIdParams,
      body: sandboxInboundSchema,
      detail: {
        tags: ["Sandbox"],
        summary: "Simulate a contact writing",
        description:
          "`{from, text}` or `{from, media: {url, caption?, type?}}`, optional `name`. Stored and emitted as `message.received` exactly like a real provider's inbound message.",
        responses: ok(sandboxInboundResultSchema, 201),
      },
    },
  );
