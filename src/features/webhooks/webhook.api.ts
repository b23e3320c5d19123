import { Elysia } from "elysia";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { noContent, ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { getDelivery, listDeliveriesForWebhook, publicAttempt, publicDelivery, recoverDeliveries, retryDelivery } from "./delivery.log";
import {
  deliveryJsonSchema,
  deliveryPageSchema,
  deliveryWithAttemptsSchema,
  recoveredSchema,
  rotatedWebhookSchema,
  webhookJsonSchema,
  webhookPageSchema,
  webhookTestSchema,
  webhookWithSecretSchema,
} from "./webhook.openapi";
import { createWebhookSchema, listDeliveriesQuery, listWebhooksQuery, MASKED_HEADER_VALUE, recoverSchema, updateWebhookSchema } from "./webhook.schema";
import {
  boundInstanceIds,
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  managesWebhook,
  publicWebhook,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhook,
  webhookNotFound,
} from "./webhook.service";

const orgOf = (key: VerifiedApiKey) => organizationOf(key);
const idParams = z.object({ id: z.string().max(64) });

/** The endpoint, when this key manages it (see managesWebhook); else 404. */
async function managedWebhook(key: VerifiedApiKey, webhookId: string) {
  const hook = await getWebhook(orgOf(key), webhookId);
  if (!managesWebhook(hook, key.instanceId)) throw webhookNotFound();
  return hook;
}

/**
 * 404 (as `what`) unless this key manages the endpoint. Only a key bound to one instance pays the
 * extra read; for others the service call that follows finds the endpoint (or its 404) itself.
 */
async function assertManages(key: VerifiedApiKey, webhookId: string, what: "Webhook" | "Delivery" = "Webhook") {
  if (key.instanceId && !managesWebhook(await getWebhook(orgOf(key), webhookId), key.instanceId)) {
    throw what === "Delivery" ? new AppError("not_found", tText("webhooks:errors.deliveryNotFound")) : webhookNotFound();
  }
}

/** `instanceIds` as sent, or for a key bound to one instance, that instance (see boundInstanceIds). */
function instanceIdsFor<T extends { instanceIds?: string[] | null }>(key: VerifiedApiKey, body: T): T {
  return key.instanceId ? { ...body, instanceIds: boundInstanceIds(body.instanceIds, key.instanceId) } : body;
}

const MASKED = `Custom header values are stored encrypted and returned as \`${MASKED_HEADER_VALUE}\`; sending \`${MASKED_HEADER_VALUE}\` back for a header keeps its stored value.`;
const BOUND_KEYS = "A key bound to one instance manages only endpoints subscribed to exactly that instance; its new endpoints get that instance by default.";
const SINKS =
  "`kind` (default `webhook`) makes the endpoint an event sink instead: `nats` publishes each event to JetStream on subject " +
  "`livchat.<organization id>.<event type>` with `Nats-Msg-Id` = the event id (the server's duplicate window drops resends) and waits " +
  "for the PubAck; `url` is `nats://[user:password@|token@]host[:port]` (or `tls://`), `stream` the JetStream stream (created " +
  "for `livchat.<organization id>.>` if missing; default `LIVCHAT-<organization id>`). `rabbitmq` publishes a persistent message to " +
  "a durable topic exchange (`exchange`, default `livchat`) with routing key = the event type and waits for the publisher confirm; " +
  "`url` is `amqp(s)://user:password@host[:port][/vhost]`. The body and the `webhook-*` signature headers are the webhook's; the " +
  `delivery log, retries, replay and auto-disable are the same. Broker URLs are stored encrypted and returned with the password as \`${MASKED_HEADER_VALUE}\` (sending it back keeps the stored one).`;
const tags = ["Webhooks"];

/** `/v1/webhooks` endpoints and `/v1/deliveries` (Standard Webhooks signed, durable delivery). */
export const webhookApi = new Elysia({ name: "webhook-api" })
  .use(authPlugin)
  .group("/v1/webhooks", (app) =>
    app
      .get(
        "/",
        async ({ apiKey, query }) => {
          const page = await listWebhooks(orgOf(apiKey), { ...query, boundInstanceId: apiKey.instanceId });
          return { data: page.data.map(publicWebhook), nextCursor: page.nextCursor };
        },
        {
          apiKey: "webhooks:read",
          query: listWebhooksQuery,
          detail: { tags, summary: "List webhook endpoints", description: BOUND_KEYS, responses: ok(webhookPageSchema) },
        },
      )
      .post(
        "/",
        async ({ apiKey, caller, body, set }) => {
          const { webhook, secret } = await createWebhook(caller, instanceIdsFor(apiKey, body));
          set.status = 201;
          return { ...publicWebhook(webhook), secret };
        },
        {
          apiKey: "webhooks:write",
          body: createWebhookSchema,
          detail: {
            tags,
            summary: "Create a webhook endpoint or an event sink (NATS JetStream, RabbitMQ)",
            description: `Returns the signing \`secret\` (whsec_…) once. Deliveries follow Standard Webhooks: verify \`webhook-signature\` with any official library. ${SINKS} ${MASKED} ${BOUND_KEYS}`,
            responses: ok(webhookWithSecretSchema, 201),
          },
        },
      )
      .get("/:id", async ({ apiKey, params }) => publicWebhook(await managedWebhook(apiKey, params.id)), {
        apiKey: "webhooks:read",
        params: idParams,
        detail: { tags, summary: "Show a webhook endpoint", responses: ok(webhookJsonSchema) },
      })
      .patch(
        "/:id",
        async ({ apiKey, caller, params, body }) => {
          await assertManages(apiKey, params.id);
          const input = body.instanceIds === undefined ? body : instanceIdsFor(apiKey, body);
          return publicWebhook(await updateWebhook(caller, params.id, input));
        },
        {
          apiKey: "webhooks:write",
          params: idParams,
          body: updateWebhookSchema,
          detail: {
            tags,
            summary: "Update a webhook endpoint",
            description: `\`active: true\` re-enables a disabled endpoint; \`false\` pauses it. ${MASKED}`,
            responses: ok(webhookJsonSchema),
          },
        },
      )
      .delete(
        "/:id",
        async ({ apiKey, caller, params, set }) => {
          await assertManages(apiKey, params.id);
          await deleteWebhook(caller, params.id);
          set.status = 204;
          return null;
        },
        { apiKey: "webhooks:write", params: idParams, detail: { tags, summary: "Delete a webhook endpoint and its delivery log", responses: noContent() } },
      )
      .post(
        "/:id/test",
        async ({ apiKey, caller, params, set }) => {
          await assertManages(apiKey, params.id);
          const sent = await sendTestEvent(caller, params.id);
          set.status = 202;
          return sent;
        },
        {
          apiKey: "webhooks:write",
          params: idParams,
          detail: { tags, summary: "Send a webhook.test event to this endpoint only", responses: ok(webhookTestSchema, 202) },
        },
      )
      .post(
        "/:id/rotate-secret",
        async ({ apiKey, caller, params }) => {
          await assertManages(apiKey, params.id);
          const { webhook, secret, previousSecretExpiresAt } = await rotateWebhookSecret(caller, params.id);
          return { ...publicWebhook(webhook), secret, previousSecretExpiresAt };
        },
        {
          apiKey: "webhooks:write",
          params: idParams,
          detail: {
            tags,
            summary: "Rotate the signing secret",
            description: "The previous secret keeps signing (a second `v1,` signature) for 24 hours.",
            responses: ok(rotatedWebhookSchema),
          },
        },
      )
      .get(
        "/:id/deliveries",
        async ({ apiKey, params, query }) => {
          await managedWebhook(apiKey, params.id);
          const page = await listDeliveriesForWebhook(orgOf(apiKey), params.id, query);
          return { data: page.data.map(publicDelivery), nextCursor: page.nextCursor };
        },
        {
          apiKey: "webhooks:read",
          params: idParams,
          query: listDeliveriesQuery,
          detail: { tags, summary: "Delivery log of an endpoint, newest first", responses: ok(deliveryPageSchema) },
        },
      )
      .post(
        "/:id/recover",
        async ({ apiKey, params, body, set }) => {
          await assertManages(apiKey, params.id);
          const requeued = await recoverDeliveries(orgOf(apiKey), params.id, body.since);
          set.status = 202;
          return { requeued };
        },
        {
          apiKey: "webhooks:write",
          params: idParams,
          body: recoverSchema,
          detail: { tags, summary: "Re-queue every failed, exhausted or cancelled delivery created since `since`", responses: ok(recoveredSchema, 202) },
        },
      ),
  )
  .group("/v1/deliveries", (app) =>
    app
      .get(
        "/:id",
        async ({ apiKey, params }) => {
          const { delivery, attempts } = await getDelivery(orgOf(apiKey), params.id);
          await assertManages(apiKey, delivery.webhookId, "Delivery");
          return { ...publicDelivery(delivery), attempts: attempts.map(publicAttempt) };
        },
        {
          apiKey: "webhooks:read",
          params: idParams,
          detail: {
            tags,
            summary: "A delivery with every attempt (request headers and body, response excerpt)",
            responses: ok(deliveryWithAttemptsSchema),
          },
        },
      )
      .post(
        "/:id/retry",
        async ({ apiKey, params, set }) => {
          if (apiKey.instanceId) await assertManages(apiKey, (await getDelivery(orgOf(apiKey), params.id)).delivery.webhookId, "Delivery");
          const delivery = await retryDelivery(orgOf(apiKey), params.id);
          set.status = 202;
          return publicDelivery(delivery);
        },
        { apiKey: "webhooks:write", params: idParams, detail: { tags, summary: "Attempt a delivery again now", responses: ok(deliveryJsonSchema, 202) } },
      ),
  );
