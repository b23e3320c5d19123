import { z } from "zod";
import { tText } from "@/lib/i18n";
import { CLOUD_TEMPLATE_LANGUAGE, CLOUD_TEMPLATE_NAME } from "@/providers/cloud.templates";

/*
 * A send of a provider-native template (Cloud): `template: {name, language, components}`, with Meta's
 * naming rules enforced here so a bad name is a 422 in the user's language, not a Graph error later.
 */

const PARAMETER_TYPES = ["text", "currency", "date_time", "image", "video", "document", "location", "payload", "coupon_code", "action"] as const;

/** One parameter in Meta's shape: `type` plus that type's object (`text`, `image: {link}`, `payload`…), sent as given. */
const parameterSchema = z.looseObject({
  type: z.enum(PARAMETER_TYPES, { error: () => tText("templates:cloud.parameterType") }),
});

export const templateComponentSchema = z
  .object({
    type: z.enum(["header", "body", "button"], { error: () => tText("templates:cloud.componentType") }),
    /** Buttons: quick_reply (payload), url (text suffix), copy_code (coupon_code)… */
    sub_type: z.string().trim().max(40).optional(),
    index: z.number().int().min(0).max(9).optional(),
    parameters: z.array(parameterSchema).max(50),
  })
  .superRefine((c, ctx) => {
    if (c.type === "button" && c.index === undefined) ctx.addIssue({ code: "custom", path: ["index"], message: tText("templates:cloud.buttonIndex") });
    // sub_type and index belong to buttons only: on a header or body they would be dropped, so they are refused.
    if (c.type !== "button" && (c.sub_type !== undefined || c.index !== undefined)) {
      ctx.addIssue({ code: "custom", path: [c.sub_type !== undefined ? "sub_type" : "index"], message: tText("templates:cloud.buttonOnly") });
    }
  });

export const templateNameSchema = z
  .string({ error: () => tText("templates:cloud.nameFormat") })
  .trim()
  .regex(CLOUD_TEMPLATE_NAME, { error: () => tText("templates:cloud.nameFormat") });

export const templateLanguageSchema = z
  .string({ error: () => tText("templates:cloud.languageFormat") })
  .trim()
  .regex(CLOUD_TEMPLATE_LANGUAGE, { error: () => tText("templates:cloud.languageFormat") });
