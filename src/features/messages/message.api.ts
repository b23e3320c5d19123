import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { requireAnyApiKey } from "@/features/instances/instance.api";
import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { noContent, ok } from "@/lib/openapi";
import { deleteMessage, editMessage, forwardMessage, sendPresence } from "./message.actions";
import { editMessageSchema, forwardMessageSchema, idempotencyKeySchema, messageJsonSchema, presenceSchema, sendMessageSchema } from "./message.schema";
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
          "One of `text`, `media` (image/audio/video/document/sticker: `{url}` a public link, or `{id}` of a file uploaded with `POST /v1/media`), `location`, `contact`, `reaction`, `template`: `{key, variables}` (a LivChat template) or, on Cloud instances, `{name, language, components}` (an APPROVED WABA template synced with `POST /v1/instances/:id/templates/sync`; name lowercase letters/digits/_, language like `pt_BR`; components `{type: header|body|button, sub_type?, index?, parameters}` in Meta's shape). On Cloud instances anything but a template more than 24 hours after the contact last wrote is refused with 422 `outside_customer_window`, naming the approved templates (also in `error.details`). `replyTo` (our id of a message of the same conversation) sends it as a reply quoting that message; `mentions` (phones) mention group members. A provider that cannot do either answers 422 `unsupported_by_provider`. The recipient is `to` (a phone) or `contactId` (a contact of the organization: the way to reach a group, or a contact known only by a WhatsApp LID or business-scoped user id, where the instance's provider can — else 422 naming why). `instanceId` may be omitted when the key is bound to one instance or exactly one is connected. Send `Idempotency-Key` to make retries safe (Stripe's rules): the same key with the same body replays the first response (`Idempotent-Replayed: true`); with a different body it is refused with 422 `idempotency_mismatch`; while the first request with the key is still in flight, others get 409 `idempotency_key_in_use` with `Retry-After`. A request that failed stored nothing and may be retried with its key.",
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
  )
  .post(
    "/:id/forward",
    async ({ apiKey, caller, params, body, set }) => {
      const { message } = await forwardMessage(caller, params.id, body, { sentBy: "api", keyMaxMessagesPerDay: apiKey.maxMessagesPerDay });
      set.status = 202;
      return { id: message.id, status: "queued" as const };
    },
    {
      apiKey: "messages:write",
      params: idParams,
      body: forwardMessageSchema,
      detail: {
        tags,
        summary: "Forward a message (queued)",
        description:
          "Queues a copy of a message (text, media, location or contact card; sent or received, not deleted) to `to` (a phone) or `contactId`, through `instanceId` (default: the message's instance). WhatsApp shows it labelled forwarded. A provider without forwarding answers 422 `unsupported_by_provider`.",
        responses: ok(z.object({ id: z.string(), status: z.literal("queued") }), 202),
      },
    },
  )
  .patch(
    "/:id",
    async ({ caller, params, body }) => {
      const { message, phone } = await editMessage(caller, params.id, body.text);
      return messageJson(message, phone);
    },
    {
      apiKey: "messages:write",
      params: idParams,
      body: editMessageSchema,
      detail: {
        tags,
        summary: "Edit a text message we sent",
        description:
          "Replaces the text of a text message this organization sent, within WhatsApp's edit window (15 minutes after it was sent; later is a 422). The earlier text stays in `previousVersions`. A provider without edits answers 422 `unsupported_by_provider`.",
        responses: ok(messageJsonSchema),
      },
    },
  )
  .delete(
    "/:id",
    async ({ caller, params }) => {
      const { message, phone } = await deleteMessage(caller, params.id);
      return messageJson(message, phone);
    },
    {
      apiKey: "messages:write",
      params: idParams,
      detail: {
        tags,
        summary: "Delete a message we sent, for everyone",
        description:
          "Deletes a message this organization sent for everyone in the chat (`deletedAt` set; its content kept or cleared per the organization's setting). A provider without deletes answers 422 `unsupported_by_provider`.",
        responses: ok(messageJsonSchema),
      },
    },
  );

/** `POST /v1/conversations/:id/presence`, here beside the sends it precedes (conversations import nothing of messages). */
export const presenceApi = new Elysia({ name: "message-presence-api", prefix: "/v1/conversations" })
  .use(authPlugin)
  .onTransform(({ request }) => requireAnyApiKey(request))
  .post(
    "/:id/presence",
    async ({ caller, params, body, set }) => {
      await sendPresence(caller, params.id, body.state);
      set.status = 204;
    },
    {
      apiKey: "messages:write",
      params: idParams,
      body: presenceSchema,
      detail: {
        tags: ["Conversations"],
        summary: "Show typing or recording in a conversation",
        description:
          "`state`: `typing`, `recording` (a voice note) or `paused`. WhatsApp shows it for a few seconds; repeat it while the reply is being written. On the Cloud API only `typing` exists, and it answers the conversation's last received message (marking it read). A provider without it answers 422 `unsupported_by_provider`.",
        responses: noContent(),
      },
    },
  );
