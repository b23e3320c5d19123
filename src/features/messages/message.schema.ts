import { z } from "zod";
import { MESSAGE_STATUSES, MESSAGE_TYPES } from "@/db/schema";
import { toE164 } from "@/lib/phone";

export const MESSAGE_LIMITS = {
  /** WhatsApp's own limit for a text body. */
  textMax: 4096,
  captionMax: 1024,
  urlMax: 2048,
  nameMax: 256,
  emojiMax: 16,
  idempotencyKeyMax: 255,
  templateKeyMax: 100,
  templateVariables: 50,
  variableValueMax: 1024,
} as const;

const phone = (label: string) =>
  z
    .string({ message: `Enter ${label} in international format, e.g. +5511999990001` })
    .trim()
    .max(40, "At most 40 characters")
    .transform((value, ctx) => {
      const e164 = toE164(value);
      if (!e164) {
        ctx.addIssue({ code: "custom", message: `Enter ${label} in international format, e.g. +5511999990001` });
        return z.NEVER;
      }
      return e164;
    });

const httpUrl = z
  .string({ message: "Enter the media URL" })
  .trim()
  .max(MESSAGE_LIMITS.urlMax, `At most ${MESSAGE_LIMITS.urlMax} characters`)
  .url("Enter an http(s) URL")
  .refine((u) => /^https?:\/\//i.test(u), "Enter an http(s) URL");

export const mediaSchema = z.object({
  url: httpUrl,
  caption: z.string().max(MESSAGE_LIMITS.captionMax, `At most ${MESSAGE_LIMITS.captionMax} characters`).optional(),
  mimeType: z.string().trim().max(100).regex(/^[\w.+-]+\/[\w.+-]+$/, "Enter a MIME type like image/jpeg").optional(),
  fileName: z.string().trim().max(MESSAGE_LIMITS.nameMax).optional(),
});

export const locationSchema = z.object({
  latitude: z.number({ message: "Enter the latitude as a number" }).min(-90).max(90),
  longitude: z.number({ message: "Enter the longitude as a number" }).min(-180).max(180),
  name: z.string().trim().max(MESSAGE_LIMITS.nameMax).optional(),
  address: z.string().trim().max(MESSAGE_LIMITS.nameMax * 2).optional(),
});

export const contactCardSchema = z.object({
  name: z.string({ message: "Enter the contact's name" }).trim().min(1, "Enter the contact's name").max(MESSAGE_LIMITS.nameMax),
  phone: phone("the contact's phone"),
});

export const reactionSchema = z.object({
  /** Our message id (uuid) or the provider's id of the message reacted to. */
  messageId: z.string({ message: "Enter the id of the message to react to" }).trim().min(1, "Enter the id of the message to react to").max(200),
  /** One emoji; an empty string removes an earlier reaction. */
  emoji: z.string({ message: "Enter an emoji" }).max(MESSAGE_LIMITS.emojiMax, "Send one emoji"),
});

export const templateRefSchema = z.object({
  key: z.string({ message: "Enter the template key" }).trim().min(1, "Enter the template key").max(MESSAGE_LIMITS.templateKeyMax),
  variables: z
    .record(z.string().max(100), z.union([z.string(), z.number(), z.boolean()]).transform(String).pipe(z.string().max(MESSAGE_LIMITS.variableValueMax)))
    .refine((v) => Object.keys(v).length <= MESSAGE_LIMITS.templateVariables, `At most ${MESSAGE_LIMITS.templateVariables} variables`)
    .default({}),
  language: z.string().trim().max(20).optional(),
});

const base = {
  instanceId: z.uuid({ message: "Enter a valid instance id" }).optional(),
  to: phone("the recipient"),
};
const text = z
  .string({ message: "Enter the text" })
  .min(1, "Enter the text")
  .max(MESSAGE_LIMITS.textMax, `At most ${MESSAGE_LIMITS.textMax} characters`)
  .refine((t) => t.trim().length > 0, "Enter the text");

/** `POST /v1/messages`: one variant per message type, each requiring its own payload. */
export const sendMessageSchema = z.discriminatedUnion(
  "type",
  [
    z.object({ ...base, type: z.literal("text"), text }),
    z.object({ ...base, type: z.literal("image"), media: mediaSchema }),
    z.object({ ...base, type: z.literal("video"), media: mediaSchema }),
    z.object({ ...base, type: z.literal("audio"), media: mediaSchema.omit({ caption: true }) }),
    z.object({ ...base, type: z.literal("document"), media: mediaSchema }),
    z.object({ ...base, type: z.literal("sticker"), media: mediaSchema.omit({ caption: true }) }),
    z.object({ ...base, type: z.literal("location"), location: locationSchema }),
    z.object({ ...base, type: z.literal("contact"), contact: contactCardSchema }),
    z.object({ ...base, type: z.literal("reaction"), reaction: reactionSchema }),
    z.object({ ...base, type: z.literal("template"), template: templateRefSchema }),
  ],
  { message: `type must be one of ${MESSAGE_TYPES.join(", ")}` },
);
export type SendMessageInput = z.infer<typeof sendMessageSchema>;

/** The admin's "send test message" form: a text to one number. */
export const testMessageSchema = z.object({
  to: phone("the recipient"),
  text,
});

export const idempotencyKeySchema = z
  .string()
  .trim()
  .min(1)
  .max(MESSAGE_LIMITS.idempotencyKeyMax, `Idempotency-Key: at most ${MESSAGE_LIMITS.idempotencyKeyMax} characters`);

export const messageJsonSchema = z.object({
  id: z.string(),
  organizationId: z.string().nullable(),
  instanceId: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  direction: z.enum(["inbound", "outbound"]),
  type: z.enum(MESSAGE_TYPES),
  to: z.string().nullable(),
  from: z.string().nullable(),
  body: z.string().nullable(),
  media: z.record(z.string(), z.unknown()).nullable(),
  status: z.enum(MESSAGE_STATUSES),
  error: z.string().nullable(),
  attempts: z.number(),
  providerMessageId: z.string().nullable(),
  sentBy: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  readAt: z.string().nullable(),
  failedAt: z.string().nullable(),
});
export type MessageJson = z.infer<typeof messageJsonSchema>;
