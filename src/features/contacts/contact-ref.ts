import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { contacts } from "@/db/schema";
import { getConversation } from "@/features/conversations/conversation.service";
import type { Caller } from "@/lib/caller";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { parsePhone } from "@/lib/phone";
import { organizationOf } from "@/lib/tenant";

/** How a record taken by hand names its contact (a complaint, a lead, a promise): one of the three. */
export type ContactRef = { conversationId?: string | null; contactId?: string | null; phone?: string | null };

/**
 * The contact a record is about: the conversation's (one the caller sees, which it is then linked to),
 * the contact by id, or by phone. 422 on the field given when there is none in the caller's organization.
 */
export async function contactOfRef(caller: Caller, ref: ContactRef, tx: DbOrTx): Promise<{ contactId: string; conversationId: string | null }> {
  if (ref.conversationId) {
    try {
      const row = await getConversation(caller, ref.conversationId, tx);
      return { contactId: row.contact.id, conversationId: row.conversation.id };
    } catch (err) {
      if (err instanceof AppError && err.code === "not_found") {
        throw validationFailed([{ path: "conversationId", message: tText("contacts:errors.refConversationNotFound") }]);
      }
      throw err;
    }
  }
  const path = ref.contactId ? "contactId" : "phone";
  const phone = ref.contactId ? null : parsePhone(ref.phone ?? "");
  if (!ref.contactId && !phone) throw validationFailed([{ path, message: tText("contacts:errors.refContactNotFound") }]);
  const [contact] = await tx
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.organizationId, organizationOf(caller)), ref.contactId ? eq(contacts.id, ref.contactId) : eq(contacts.phone, phone!)))
    .limit(1);
  if (!contact) throw validationFailed([{ path, message: tText("contacts:errors.refContactNotFound") }]);
  return { contactId: contact.id, conversationId: null };
}
