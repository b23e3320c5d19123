import { and, eq, sql } from "drizzle-orm";
import { type DbOrTx } from "@/db/client";
import { contacts, conversations } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import type { Instance } from "@/providers/provider";

export type Contact = typeof contacts.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;

/**
 * Finds or creates the contact (by E.164 phone, per organization — or per visitor device while the
 * instance is unclaimed) and its conversation on this instance. Emits `contact.created` and
 * `conversation.created` for new rows. Call inside the transaction that stores the message.
 */
export async function ensureContactAndConversation(
  tx: DbOrTx,
  instance: Instance,
  phone: string,
  name?: string | null,
): Promise<{ contact: Contact; conversation: Conversation; contactCreated: boolean; conversationCreated: boolean }> {
  const organizationId = instance.organizationId;
  const deviceId = organizationId ? null : instance.createdByDeviceId;
  const [inserted] = await tx
    .insert(contacts)
    .values({ organizationId, deviceId, phone, name: name ?? null })
    .onConflictDoNothing()
    .returning();
  let contact = inserted;
  if (!contact) {
    [contact] = await tx
      .select()
      .from(contacts)
      .where(
        and(
          organizationId ? eq(contacts.organizationId, organizationId) : sql`${contacts.organizationId} is null and ${contacts.deviceId} = ${deviceId}`,
          eq(contacts.phone, phone),
        ),
      )
      .limit(1);
    if (contact && name && !contact.name) {
      [contact] = await tx.update(contacts).set({ name }).where(eq(contacts.id, contact.id)).returning();
    }
  }
  if (!contact) throw new Error("contact upsert found no row");
  if (inserted) {
    await recordEvent(
      { organizationId, instanceId: instance.id, type: "contact.created", data: { contact: { id: contact.id, phone, name: contact.name } } },
      tx,
    );
  }

  const [newConversation] = await tx
    .insert(conversations)
    .values({ organizationId, instanceId: instance.id, contactId: contact.id })
    .onConflictDoNothing()
    .returning();
  const conversation =
    newConversation ??
    (
      await tx
        .select()
        .from(conversations)
        .where(and(eq(conversations.instanceId, instance.id), eq(conversations.contactId, contact.id)))
        .limit(1)
    )[0];
  if (!conversation) throw new Error("conversation upsert found no row");
  if (newConversation) {
    await recordEvent(
      {
        organizationId,
        instanceId: instance.id,
        type: "conversation.created",
        data: { conversation: { id: conversation.id, contactId: contact.id, instanceId: instance.id } },
      },
      tx,
    );
  }
  return { contact, conversation, contactCreated: !!inserted, conversationCreated: !!newConversation };
}
