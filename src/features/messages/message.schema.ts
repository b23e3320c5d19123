import { z } from "zod";
import { MESSAGE_STATUSES, MESSAGE_TYPES } from "@/db/schema";
import { tText } from "@/lib/i18n";
import { parsePhone } from "@/lib/phone";
import { templateComponentSchema, templateLanguageSchema, templateNameSchema } from "@/features/templates/provider-template.schema";

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
  mentionsMax: 256,
  /** WhatsApp lets the author edit a message for 15 minutes after sending it. */
  editWindowMinutes: 15,
  /** WhatsApp deletes a message for everyone only up to about two days and 12 hours after it was sent. */
  deleteWindowHours: 60,
} as const;

const atMost = (count: number) => ({ error: () => tText("messages:schema.atMost", { count }) });

/** A phone normalized to E.164; `key` names whose phone it is in the "enter … in international format" message. */
const phone = (key: "messages:schema.recipient" | "messages:schema.contactPhone" | "messages:schema.mentions") =>
  z
    .string({ error: () => tText(key) })
    .trim()
    .max(40, atMost(40))
    .transform((value, ctx) => {
      const e164 = parsePhone(value);
      if (!e164) {
        ctx.addIssue({ code: "custom", message: tText(key) });
        return z.NEVER;
      }
      return e164;
    });

const httpUrl = z
  .string({ error: () => tText("messages:schema.mediaUrl") })
  .trim()
  .max(MESSAGE_LIMITS.urlMax, atMost(MESSAGE_LIMITS.urlMax))
  .url({ error: () => tText("messages:schema.httpUrl") })
  .refine((u) => /^https?:\/\//i.test(u), { error: () => tText("messages:schema.httpUrl") });

/** A public `url` the provider fetches, or the `id` of an upload (`POST /v1/media`): one of the two. */
export const mediaSchema = z.object({
  url: httpUrl.optional(),
  id: z.uuid({ error: () => tText("media:errors.unknownForSend") }).optional(),
  caption: z.string().max(MESSAGE_LIMITS.captionMax, atMost(MESSAGE_LIMITS.captionMax)).optional(),
  mimeType: z
    .string()
    .trim()
    .max(100)
    .regex(/^[\w.+-]+\/[\w.+-]+$/, { error: () => tText("messages:schema.mimeType") })
    .optional(),
  fileName: z.string().trim().max(MESSAGE_LIMITS.nameMax).optional(),
});

export const locationSchema = z.object({
  latitude: z
    .number({ error: () => tText("messages:schema.latitude") })
    .min(-90)
    .max(90),
  longitude: z
    .number({ error: () => tText("messages:schema.longitude") })
    .min(-180)
    .max(180),
  name: z.string().trim().max(MESSAGE_LIMITS.nameMax).optional(),
  address: z
    .string()
    .trim()
    .max(MESSAGE_LIMITS.nameMax * 2)
    .optional(),
});

export const contactCardSchema = z.object({
  name: z
    .string({ error: () => tText("messages:schema.contactName") })
    .trim()
    .min(1, { error: () => tText("messages:schema.contactName") })
    .max(MESSAGE_LIMITS.nameMax),
  phone: phone("messages:schema.contactPhone"),
});

export const reactionSchema = z.object({
  /** Our message id (uuid) or the provider's id of the message reacted to. */
  messageId: z
    .string({ error: () => tText("messages:schema.reactionMessageId") })
    .trim()
    .min(1, { error: () => tText("messages:schema.reactionMessageId") })
    .max(200),
  /** One emoji; an empty string removes an earlier reaction. */
  emoji: z.string({ error: () => tText("messages:schema.emoji") }).max(MESSAGE_LIMITS.emojiMax, { error: () => tText("messages:schema.oneEmoji") }),
});

/**
 * A template send: `key`, a LivChat template rendered with `variables`; or `name` + `language`, a
 * provider template (Cloud, approved at Meta) with its header/body/button `components` parameters.
 */
export const templateRefSchema = z
  .object({
    key: z
      .string({ error: () => tText("messages:schema.templateKey") })
      .trim()
      .min(1, { error: () => tText("messages:schema.templateKey") })
      .max(MESSAGE_LIMITS.templateKeyMax)
      .optional(),
    name: templateNameSchema.optional(),
    components: z.array(templateComponentSchema).max(12).optional(),
    variables: z
      .record(z.string().max(100), z.union([z.string(), z.number(), z.boolean()]).transform(String).pipe(z.string().max(MESSAGE_LIMITS.variableValueMax)))
      .refine((v) => Object.keys(v).length <= MESSAGE_LIMITS.templateVariables, {
        error: () => tText("messages:schema.variablesMax", { count: MESSAGE_LIMITS.templateVariables }),
      })
      .default({}),
    language: z.string().trim().max(20).optional(),
  })
  .superRefine((t, ctx) => {
    if (!t.key === !t.name) ctx.addIssue({ code: "custom", path: [t.key ? "name" : "key"], message: tText("templates:cloud.keyOrName") });
    if (t.components && !t.name) ctx.addIssue({ code: "custom", path: ["components"], message: tText("templates:cloud.componentsNeedName") });
    if (t.name && !templateLanguageSchema.safeParse(t.language ?? "").success) {
      ctx.addIssue({ code: "custom", path: ["language"], message: tText("templates:cloud.languageFormat") });
    }
  });

const choiceId = z
  .string()
  .trim()
  .min(1, { error: () => tText("messages:schema.choiceId") })
  .max(200, atMost(200));
const title = (max: number) =>
  z
    .string({ error: () => tText("messages:schema.choiceTitle") })
    .trim()
    .min(1, { error: () => tText("messages:schema.choiceTitle") })
    .max(max, atMost(max));
/**
 * Reply buttons (up to 3) or a list (a button opening up to 10 rows in sections), WhatsApp's limits;
 * a choice comes back as an inbound `interactive` message with its id.
 */
export const interactiveSchema = z
  .object({
    body: z
      .string({ error: () => tText("messages:schema.text") })
      .trim()
      .min(1, { error: () => tText("messages:schema.text") })
      .max(1024, atMost(1024)),
    footer: z.string().trim().max(60, atMost(60)).optional(),
    buttons: z
      .array(z.object({ id: choiceId, title: title(20) }))
      .min(1)
      .max(3, { error: () => tText("messages:schema.buttonsMax") })
      .optional(),
    list: z
      .object({
        button: title(20),
        sections: z
          .array(
            z.object({
              title: z.string().trim().max(24, atMost(24)).optional(),
              rows: z.array(z.object({ id: choiceId, title: title(24), description: z.string().trim().max(72, atMost(72)).optional() })).min(1),
            }),
          )
          .min(1)
          .max(10),
      })
      .refine((l) => l.sections.reduce((n, s) => n + s.rows.length, 0) <= 10, { error: () => tText("messages:schema.rowsMax") })
      .optional(),
  })
  .superRefine((value, ctx) => {
    if (!value.buttons === !value.list) ctx.addIssue({ code: "custom", path: ["buttons"], message: tText("messages:schema.buttonsOrList") });
  });

/** A poll: the question and 2 to 12 distinct options (one choice). */
export const pollSchema = z.object({
  name: z
    .string({ error: () => tText("messages:schema.pollName") })
    .trim()
    .min(1, { error: () => tText("messages:schema.pollName") })
    .max(MESSAGE_LIMITS.nameMax, atMost(MESSAGE_LIMITS.nameMax)),
  options: z
    .array(
      z
        .string()
        .trim()
        .min(1, { error: () => tText("messages:schema.pollOptions") })
        .max(100, atMost(100)),
      {
        error: () => tText("messages:schema.pollOptions"),
      },
    )
    .min(2, { error: () => tText("messages:schema.pollOptions") })
    .max(12, { error: () => tText("messages:schema.pollOptions") })
    .refine((o) => new Set(o).size === o.length, { error: () => tText("messages:schema.pollDistinct") }),
});

/**
 * The recipient: `to`, a phone, or `contactId`, a contact of the organization — the way to reach a
 * group or a person known only by a LID or business-scoped user id (one of the two is required).
 */
const base = {
  instanceId: z.uuid({ error: () => tText("messages:schema.instanceId") }).optional(),
  to: phone("messages:schema.recipient").optional(),
  contactId: z.uuid({ error: () => tText("messages:schema.contactId") }).optional(),
  /** Our id of a message of the same conversation this one replies to (quotes). */
  replyTo: z.uuid({ error: () => tText("messages:schema.replyTo") }).optional(),
  /** Group members mentioned (phones, E.164); the text names them as WhatsApp shows them (@5511…). */
  mentions: z
    .array(phone("messages:schema.mentions"), { error: () => tText("messages:schema.mentions") })
    .max(MESSAGE_LIMITS.mentionsMax, { error: () => tText("messages:schema.mentions") })
    .optional(),
};
const text = z
  .string({ error: () => tText("messages:schema.text") })
  .min(1, { error: () => tText("messages:schema.text") })
  .max(MESSAGE_LIMITS.textMax, atMost(MESSAGE_LIMITS.textMax))
  .refine((t) => t.trim().length > 0, { error: () => tText("messages:schema.text") });

/** `POST /v1/messages`: one variant per message type, each requiring its own payload. */
export const sendMessageSchema = z
  .discriminatedUnion(
    "type",
    [
      z.object({ ...base, type: z.literal("text"), text }),
      z.object({ ...base, type: z.literal("image"), media: mediaSchema }),
      z.object({ ...base, type: z.literal("video"), media: mediaSchema }),
      z.object({ ...base, type: z.literal("audio"), media: mediaSchema.omit({ caption: true }).extend({ voice: z.boolean().optional() }) }),
      z.object({ ...base, type: z.literal("document"), media: mediaSchema }),
      z.object({ ...base, type: z.literal("sticker"), media: mediaSchema.omit({ caption: true }) }),
      z.object({ ...base, type: z.literal("location"), location: locationSchema }),
      z.object({ ...base, type: z.literal("contact"), contact: contactCardSchema }),
      z.object({ ...base, type: z.literal("reaction"), reaction: reactionSchema }),
      z.object({ ...base, type: z.literal("template"), template: templateRefSchema }),
      z.object({ ...base, type: z.literal("poll"), poll: pollSchema }),
      z.object({ ...base, type: z.literal("interactive"), interactive: interactiveSchema }),
    ],
    { error: () => tText("messages:schema.type", { types: MESSAGE_TYPES.join(", ") }) },
  )
  .superRefine((value, ctx) => {
    if (!value.to && !value.contactId) ctx.addIssue({ code: "custom", path: ["to"], message: tText("messages:schema.recipient") });
    if (value.to && value.contactId) ctx.addIssue({ code: "custom", path: ["contactId"], message: tText("messages:schema.toOrContact") });
    // A reaction points at its message by itself: WhatsApp carries no quote nor mentions on it (never dropped silently).
    if (value.type === "reaction") {
      if (value.replyTo) ctx.addIssue({ code: "custom", path: ["replyTo"], message: tText("messages:schema.reactionContext") });
      if (value.mentions?.length) ctx.addIssue({ code: "custom", path: ["mentions"], message: tText("messages:schema.reactionContext") });
    }
  });
export type SendMessageInput = z.infer<typeof sendMessageSchema>;

/** `POST /v1/messages/:id/forward`: where the copy goes (a phone or a contact, as for a send). */
export const forwardMessageSchema = z.object({ instanceId: base.instanceId, to: base.to, contactId: base.contactId }).superRefine((value, ctx) => {
  if (!value.to && !value.contactId) ctx.addIssue({ code: "custom", path: ["to"], message: tText("messages:schema.recipient") });
  if (value.to && value.contactId) ctx.addIssue({ code: "custom", path: ["contactId"], message: tText("messages:schema.toOrContact") });
});

/** `PATCH /v1/messages/:id`: the new text of a text message we sent. */
export const editMessageSchema = z.object({ text });

export const PRESENCE_STATES = ["typing", "recording", "paused"] as const;
/** `POST /v1/conversations/:id/presence`. */
export const presenceSchema = z.object({ state: z.enum(PRESENCE_STATES, { error: () => tText("messages:schema.presenceState") }) });

/** The admin's "send test message" form: a text to one number. */
export const testMessageSchema = z.object({
  to: phone("messages:schema.recipient"),
  text,
});

export const idempotencyKeySchema = z
  .string()
  .trim()
  .min(1)
  .max(MESSAGE_LIMITS.idempotencyKeyMax, { error: () => tText("messages:schema.idempotencyKeyMax", { count: MESSAGE_LIMITS.idempotencyKeyMax }) });

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
  /** What a voice note or audio says, once the organization's transcription produced it. */
  transcript: z.string().nullable(),
  /** Provider id of the message this one quotes, and our id of it when it is stored. */
  quotedProviderMessageId: z.string().nullable(),
  replyToMessageId: z.string().nullable(),
  /**
   * Inbound details: chosen button/row (`interactive`), ad `referral`, `poll`, `order`, shared `contacts`, `rawType`…
   * A poll vote is type `poll` with `poll.pollId` (the poll voted on) and `poll.selected` when the provider decoded it,
   * else `poll.encrypted: true` (WuzAPI posts votes encrypted); the Cloud API delivers no polls (`unsupported`, `rawType` "poll").
   */
  context: z.record(z.string(), z.unknown()).nullable(),
  /** Reactions shown on this message, one per party (`by`: contact id or "business"). */
  reactions: z.array(z.object({ emoji: z.string(), by: z.string(), at: z.string(), providerMessageId: z.string().optional() })),
  editedAt: z.string().nullable(),
  /** Earlier bodies, oldest first, each with when it was replaced. */
  previousVersions: z.array(z.object({ body: z.string().nullable(), at: z.string() })),
  /** Deleted for everyone by its author (the content stays only if the organization keeps it). */
  deletedAt: z.string().nullable(),
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
