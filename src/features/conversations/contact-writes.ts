import type { DbOrTx, Tx } from "@/db/client";
import { port } from "@/lib/port";
import type { Contact } from "./conversation.service";

/**
 * The contact rows a send touches: contacts own them and sit above conversations (they move a merged
 * person's conversations), so src/routes.ts plugs the contacts feature's contact.sends.ts in here.
 * Both run inside the send's transaction.
 */
export const contactWrites = {
  /**
   * The owner's contact with this E.164 phone (per organization, or per visitor device while the
   * instance is unclaimed), created if new: an upsert, so a row a concurrent writer commits meanwhile
   * is returned too. `created` says whether this call made it.
   */
  byPhone:
    port<
      (
        owner: { organizationId: string | null; deviceId: string | null },
        phone: string,
        name: string | null,
        tx: Tx,
      ) => Promise<{ contact: Contact; created: boolean }>
    >("conversations: a contact by phone"),
  /** A message was sent to the contact at `at`: its last interaction moves. */
  interacted: port<(contactId: string, at: Date, tx: DbOrTx) => Promise<void>>("conversations: a contact's last interaction"),
};
