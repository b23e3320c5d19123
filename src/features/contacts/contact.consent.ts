import { and, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { contacts } from "@/db/schema";

/**
 * The consent feature's write of a contact's opt-out flag (contacts own the row; consent keeps the
 * record of when, how and in answer to what). Returns whether the flag changed.
 */
export async function setContactOptedOut(organizationId: string, contactId: string, optedOut: boolean, tx: DbOrTx = db): Promise<boolean> {
  const changed = await tx
    .update(contacts)
    .set({ optedOut, updatedAt: new Date() })
    .where(and(eq(contacts.id, contactId), eq(contacts.organizationId, organizationId), eq(contacts.optedOut, !optedOut)))
    .returning({ id: contacts.id });
  return changed.length > 0;
}
