import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { requireAnyApiKey } from "@/features/instances/instance.api";
import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { ok } from "@/lib/openapi";
import { idempotencyKeySchema, messageJsonSchema, sendMessageSchema } from "./message.schema";
import { getMessage, markMessageRead, messageJson, queueOutboundMessage } from "./message.service";

const tags = ["Messages"];
const idParams = z.object({ id: z.string() });

/** `/v1/messages`: queue outbound messages of every type, read their status, mark inbound ones read. */
export const messageApi = new Elysia({ name: "message-api", prefix: "/v1/messages" })
  .use(authPlugin)
  // Authenticate before body validation, so a caller without a valid key gets 401, not a 422 about its body.
  .onTransform(({ request }) => requireAnyApiKey(request))
  .post(
    "/",
    async ({ apiKey, caller, body, request, set }) => {
      const header = request.headers.get("idempotency-key");
      let idempotencyKey: string | null = null;
      if (header !== null) {
        const parsed = idempotencyKeySchema.safeParse(header);
        if (!parsed.success)
          throw validationFailed([{ path: "Idempotency-Key", message: parsed.error.issues[0]?.message ?? tText("messages:schema.idempotencyKeyInvalid") }]);
        idempotencyKey = parsed.data;
      }
      const { message, replayed } = await queueOutboundMessage(caller, body, {
        sentBy: "api",
        keyMaxMessagesPerDay: apiKey.maxMessagesPerDay,
        idempotencyKey,
      });
      set.status = 202;
      if (replayed) set.headers["idempotent-replayed"] = "true";
      // A replay answers exactly as the first request did: the message was accepted as queued.
      return { id: message.id, status: "queued" as const };
    },
    {
      apiKey: "messages:write",
      body: sendMessageSchema,
      detail: {
        tags,
        summary: "Send a message (queued)",
        description:
          "One of `text`, `media` (image/audio/video/document/sticker: `{url}` a public link, or `{id}` of a file uploaded with `POST /v1/media`), `location`, `contact`, `reaction`, `template` ({key, variables}). The recipient is `to` (a phone) or `contactId` (a contact of the organization: the way to reach a group, or a contact known only by a WhatsApp LID or business-scoped user id, where the instance's provider can — else 422 naming why). `instanceId` may be omitted when the key is bound to one instance or exactly one is connected. Send `Idempotency-Key` to make retries safe (Stripe's rules): the same key with the same body replays the first response (`Idempotent-Replayed: true`); with a different body it is refused with 422 `idempotency_mismatch`; while the first request with the key is still in flight, others get 409 `idempotency_key_in_use` with `Retry-After`. A request that failed stored nothing and may be retried with its key.",
        "x-idempotent": true,
        responses: ok(z.object({ id: z.string(), status: z.literal("queued") }), 202),
      },
    },
  )
  .get(
    "/:id",
    async ({ caller, params }) => {
      const { message, phone } = await getMessage(caller, params.id);
      return messageJson(message, phone);
    },
    { apiKey: "messages:read", params: idParams, response: { 200: messageJsonSchema }, detail: { tags, summary: "Get a message and its status" } },
  )
  .post(
    "/:id/read",
    async ({ caller, params }) => {
      const message = await markMessageRead(caller, params.id);
      return { id: message.id, status: message.status };
    },
    {
      apiKey: "messages:write",
      params: idParams,
      detail: {
        tags,
        summary: "Mark a received message (and earlier ones) read",
        responses: ok(messageJsonSchema.pick({ id: true, status: true })),
      },
    },
  );
