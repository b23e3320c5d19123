import { eq, sql } from "drizzle-orm";
import { rowsOf } from "@/db/client";
import { contacts } from "@/db/schema";
import type { contactWrites } from "@/features/conversations/contact-writes";
import { knownContactUpdate, readContact } from "@/features/conversations/conversation.service";

/**
 * The contacts feature's side of src/features/conversations/contact-writes.ts: the contact rows an
 * outbound send creates or touches, written here by their owner (src/routes.ts plugs them in).
 */
type Writes = typeof contactWrites;

export const contactByPhone: Parameters<Writes["byPhone"]["plug"]>[0] = async (owner, phone, name, tx) => {
  const conflictTarget = owner.organizationId ? sql`(organization_id, phone)` : sql`(device_id, phone) where organization_id is null`;
  const [row] = rowsOf<Record<string, unknown> & { created: boolean }>(
    await tx.execute(sql`
      insert into contacts (organization_id, device_id, phone, name)
      values (${owner.organizationId}::uuid, ${owner.deviceId}::uuid, ${phone}, ${name?.trim() || null})
      on conflict ${conflictTarget} do update set ${knownContactUpdate}
      returning *, (xmax = 0) as created`),
  );
  if (!row) throw new Error("contact upsert returned no row");
  return { contact: readContact(row), created: row.created };
};

export const contactInteracted: Parameters<Writes["interacted"]["plug"]>[0] = async (contactId, at, tx) => {
  await tx.update(contacts).set({ lastInteractionAt: at, updatedAt: at }).where(eq(contacts.id, contactId));
};

export function plugContactWrites(writes: Writes): void {
  writes.byPhone.plug(contactByPhone);
  writes.interacted.plug(contactInteracted);
}
