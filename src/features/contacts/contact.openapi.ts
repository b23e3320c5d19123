import { z } from "zod";
import { contacts } from "@/db/schema";
import { pageOf, rowJson } from "@/lib/openapi";

/** The JSON of a contact as `/v1/contacts` answers it (contactJson), documented in /openapi.json. */
export const contactJsonSchema = rowJson(contacts, [
  "id",
  "kind",
  "phone",
  "name",
  "pictureUrl",
  "tags",
  "blocked",
  "whatsappBlocked",
  "profileFetchedAt",
  "optedOut",
  "lastInteractionAt",
  "createdAt",
  "updatedAt",
]).extend({ metadata: z.record(z.string(), z.unknown()) });

export const contactPageSchema = pageOf(contactJsonSchema);

/** One contact with its WhatsApp identities besides the phone (LID, business-scoped user id, username, group id). */
export const contactWithIdentitiesSchema = contactJsonSchema.extend({
  identities: z.array(z.object({ kind: z.enum(["lid", "bsuid", "username", "group"]), value: z.string() })),
});

export const contactCheckResultSchema = z.object({
  data: z.array(
    z.object({
      phone: z.string().describe("E.164, normalized"),
      input: z.string().describe("As sent"),
      valid: z.boolean(),
      exists: z.boolean(),
      contactId: z.string().nullable(),
    }),
  ),
  source: z.enum(["whatsapp", "contacts"]),
  instanceId: z.string().nullable(),
});
