import { inArray } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { contactIdentities, contacts } from "@/db/schema";
import { tText } from "@/lib/i18n";
import type { OutboundAddress } from "@/providers/provider";

/** What the send path knows of a contact: enough to address it on any provider. */
export type Addressable = { kind: (typeof contacts.$inferSelect)["kind"]; phone: string | null; identities: { kind: string; value: string }[] };

/** Where a message to the contact goes on a provider: `to` (E.164 or empty) and, when not a phone, `address`. */
export type Recipient = { ok: true; to: string; address?: OutboundAddress } | { ok: false; reason: string };

/**
 * How to reach a contact through a provider that can address `addresses` besides phones: a group by
 * its id; a person by phone, else by LID, else by business-scoped user id. When the provider can reach
 * none of what the contact is known by, the reason names both (shown as a 422 or a failed send).
 */
export function recipientFor(contact: Addressable, provider: { name: string; addresses?: readonly OutboundAddress["kind"][] }): Recipient {
  const can = new Set(provider.addresses ?? []);
  const id = (kind: OutboundAddress["kind"]) => contact.identities.find((i) => i.kind === kind)?.value;
  if (contact.kind === "group") {
    const group = id("group");
    if (group && can.has("group")) return { ok: true, to: "", address: { kind: "group", id: group } };
    return { ok: false, reason: tText("messages:recipient.groupUnsupported", { provider: provider.name }) };
  }
  if (contact.phone) return { ok: true, to: contact.phone };
  for (const kind of ["lid", "bsuid"] as const) {
    const value = id(kind);
    if (value && can.has(kind)) return { ok: true, to: "", address: { kind, id: value } };
  }
  const known = contact.identities.map((i) => tText(`messages:recipient.identity.${i.kind}`)).join(", ");
  return { ok: false, reason: known ? tText("messages:recipient.noAddress", { provider: provider.name, known }) : tText("messages:recipient.nothing") };
}

/** The addressable form of each contact (phone, kind and identities), keyed by id. */
export async function addressablesOf(contactIds: string[], tx: DbOrTx = db): Promise<Map<string, Addressable>> {
  if (contactIds.length === 0) return new Map();
  // One after the other: inside a transaction both would queue on its one connection anyway.
  const rows = await tx.select({ id: contacts.id, kind: contacts.kind, phone: contacts.phone }).from(contacts).where(inArray(contacts.id, contactIds));
  const ids = await tx
    .select({ contactId: contactIdentities.contactId, kind: contactIdentities.kind, value: contactIdentities.value })
    .from(contactIdentities)
    .where(inArray(contactIdentities.contactId, contactIds));
  return new Map(
    rows.map((r) => [r.id, { kind: r.kind, phone: r.phone, identities: ids.filter((i) => i.contactId === r.id).map(({ kind, value }) => ({ kind, value })) }]),
  );
}
