import { z } from "zod";
import { webhookAttempts, webhookDeliveries, webhooks } from "@/db/schema";
import { pageOf, rowJson, timestamp } from "@/lib/openapi";

/** The JSON `/v1/webhooks` and `/v1/deliveries` answer (publicWebhook, publicDelivery, publicAttempt), documented in /openapi.json. */
export const webhookJsonSchema = rowJson(webhooks, [
  "id",
  "kind",
  "name",
  "url",
  "eventTypes",
  "instanceIds",
  "active",
  "disabledAt",
  "disabledReason",
  "failingSince",
  "previousSecretExpiresAt",
  "createdAt",
  "updatedAt",
]).extend({
  headers: z.record(z.string(), z.string()).describe("Custom headers; values masked"),
  exchange: z.string().nullable().describe("RabbitMQ sinks: the topic exchange (null = `livchat`); null for other kinds"),
  stream: z.string().nullable().describe("NATS sinks: the JetStream stream (null = `LIVCHAT-<organization id>`); null for other kinds"),
});

export const webhookPageSchema = pageOf(webhookJsonSchema);

export const webhookWithSecretSchema = webhookJsonSchema.extend({
  secret: z.string().describe("The signing secret (whsec_…), shown only in this answer"),
});

export const rotatedWebhookSchema = webhookWithSecretSchema.extend({
  previousSecretExpiresAt: timestamp().describe("Until then the previous secret signs too"),
});

export const webhookTestSchema = z.object({ eventId: z.string(), deliveryId: z.string() });

export const deliveryJsonSchema = rowJson(webhookDeliveries, [
  "id",
  "webhookId",
  "eventId",
  "eventType",
  "status",
  "attempts",
  "nextAttemptAt",
  "lastStatusCode",
  "lastError",
  "lastDurationMs",
  "lastResponseExcerpt",
  "deliveredAt",
  "createdAt",
  "updatedAt",
]);

export const deliveryPageSchema = pageOf(deliveryJsonSchema);

export const attemptJsonSchema = rowJson(webhookAttempts, [
  "id",
  "attempt",
  "at",
  "statusCode",
  "error",
  "durationMs",
  "requestBody",
  "responseExcerpt",
]).extend({
  requestHeaders: z.record(z.string(), z.string()),
});

export const deliveryWithAttemptsSchema = deliveryJsonSchema.omit({ attempts: true }).extend({ attempts: z.array(attemptJsonSchema) });

export const recoveredSchema = z.object({ requeued: z.number().int() });
