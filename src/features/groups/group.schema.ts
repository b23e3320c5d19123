import { z } from "zod";
import { tText } from "@/lib/i18n";
import { formatBytes } from "@/lib/media-url";
import { toE164 } from "@/lib/phone";

/** WhatsApp's own limits: a subject of 100 characters, a description of 2048. */
export const GROUP_LIMITS = { subjectMax: 100, descriptionMax: 2048, participantsMax: 256, pictureMaxBytes: 2 * 1024 * 1024 } as const;

export const PARTICIPANT_ACTIONS = ["add", "remove", "promote", "demote"] as const;

/** `:group` is the provider's group id (not a uuid: the request guard 404s every `:…Id` param that is not one). */
export const groupParams = z.object({ id: z.string(), group: z.string() });
export const instanceParams = z.object({ id: z.string() });

const subject = z
  .string({ error: () => tText("groups:validation.subjectRequired") })
  .trim()
  .min(1, { error: () => tText("groups:validation.subjectRequired") })
  .max(GROUP_LIMITS.subjectMax, { error: () => tText("groups:validation.subjectTooLong", { max: GROUP_LIMITS.subjectMax }) });

/** Phones in any common notation, normalized to E.164 (lib/phone); each bad one is named. */
const participants = z
  .array(z.string().max(64), { error: () => tText("groups:validation.participantsRequired") })
  .max(GROUP_LIMITS.participantsMax, { error: () => tText("groups:validation.participantsTooMany", { max: GROUP_LIMITS.participantsMax }) })
  .transform((values, ctx) => {
    const phones: string[] = [];
    values.forEach((value, index) => {
      const e164 = toE164(value);
      if (e164) phones.push(e164);
      else ctx.addIssue({ code: "custom", path: [index], message: tText("groups:validation.participantPhone", { value: value.slice(0, 64) }) });
    });
    return [...new Set(phones)];
  });

/** A JPEG as a data URI, decoded; WhatsApp takes only JPEG group pictures. */
const picture = z
  .string({ error: () => tText("groups:validation.picture") })
  .max(Math.ceil((GROUP_LIMITS.pictureMaxBytes * 4) / 3) + 64, {
    error: () => tText("groups:validation.pictureTooLarge", { max: formatBytes(GROUP_LIMITS.pictureMaxBytes) }),
  })
  .transform((value, ctx) => {
    const match = /^data:image\/jpe?g;base64,([A-Za-z0-9+/=\s]+)$/.exec(value);
    const bytes = match ? new Uint8Array(Buffer.from(match[1]!, "base64")) : null;
    // A JPEG starts with the SOI marker FF D8 FF.
    if (!bytes || bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) {
      ctx.addIssue({ code: "custom", message: tText("groups:validation.picture") });
      return z.NEVER;
    }
    return bytes;
  });

export const groupCreateSchema = z.object({
  subject,
  participants: participants.refine((p) => p.length > 0, { error: () => tText("groups:validation.participantsRequired") }),
});

export const groupUpdateSchema = z
  .object({
    subject: subject.optional(),
    description: z
      .string()
      .trim()
      .max(GROUP_LIMITS.descriptionMax, { error: () => tText("groups:validation.descriptionTooLong", { max: GROUP_LIMITS.descriptionMax }) })
      .optional(),
    picture: picture.optional(),
  })
  .refine((b) => b.subject !== undefined || b.description !== undefined || b.picture !== undefined, {
    path: ["subject"],
    error: () => tText("groups:validation.nothingToChange"),
  });

export const participantsChangeSchema = z.object({
  action: z.enum(PARTICIPANT_ACTIONS, { error: () => tText("groups:validation.action") }),
  participants: participants.refine((p) => p.length > 0, { error: () => tText("groups:validation.participantsRequired") }),
});

// ——— Response shapes (OpenAPI) ———

export const groupParticipantSchema = z.object({
  phone: z.string().nullable(),
  lid: z.string().nullable(),
  admin: z.boolean(),
  superAdmin: z.boolean(),
});

export const groupJsonSchema = z.object({
  id: z.string().meta({ description: "The provider's group id (WuzAPI: the `…@g.us` user part)" }),
  contactId: z.string().nullable().meta({ description: "The group's contact (kind `group`); send to it with `POST /v1/messages` `contactId`" }),
  subject: z.string().nullable(),
  description: z.string().nullable(),
  pictureUrl: z.string().nullable(),
  owner: z.string().nullable(),
  createdAt: z.string().nullable(),
  locked: z.boolean(),
  announce: z.boolean(),
  participants: z.array(groupParticipantSchema),
});

export const groupListSchema = z.object({ data: z.array(groupJsonSchema) });
export const participantResultsSchema = z.object({
  data: z.array(z.object({ phone: z.string(), ok: z.boolean(), error: z.string().nullable() })),
});
export const inviteLinkSchema = z.object({ link: z.string() });
