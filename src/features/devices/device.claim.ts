import { and, eq, inArray, isNull } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { contacts, conversations, devices, events, instances, messages } from "@/db/schema";
import { claimDeviceApiKeys } from "@/features/api-keys/api-key.service";
import { moveContactFirings } from "@/features/triggers/trigger.service";
import { claimDeviceThreads, moveContactThreads } from "@/features/workflows/thread.service";

/**
 * Moves a visitor device and everything it created before signing up (instances, keys, and the
 * contacts, conversations, messages and events of those instances) into `organizationId`.
 * Run it inside the sign-up transaction so the account and the claim commit together.
 */
export async function claimDevice(tx: DbOrTx, deviceId: string, organizationId: string) {
  const now = new Date();
  const [device] = await tx
    .update(devices)
    .set({ organizationId, claimedAt: now })
    .where(and(eq(devices.id, deviceId), isNull(devices.organizationId), isNull(devices.revokedAt)))
    .returning({ id: devices.id });
  if (!device) return { instances: 0, apiKeys: 0 };
  const claimed = await tx
    .update(instances)
    .set({ organizationId, claimedAt: now })
    .where(and(eq(instances.createdByDeviceId, deviceId), isNull(instances.organizationId)))
    .returning({ id: instances.id });
  const apiKeyCount = await claimDeviceApiKeys(deviceId, organizationId, tx);
  await mergeDuplicateContacts(tx, deviceId, organizationId);
  await tx
    .update(contacts)
    .set({ organizationId, deviceId: null })
    .where(and(eq(contacts.deviceId, deviceId), isNull(contacts.organizationId)));
  await claimDeviceThreads(deviceId, organizationId, tx);
  const instanceIds = claimed.map((i) => i.id);
  if (instanceIds.length > 0) {
    await tx
      .update(conversations)
      .set({ organizationId })
      .where(and(inArray(conversations.instanceId, instanceIds), isNull(conversations.organizationId)));
    await tx
      .update(messages)
      .set({ organizationId })
      .where(and(inArray(messages.instanceId, instanceIds), isNull(messages.organizationId)));
    await tx
      .update(events)
      .set({ organizationId })
      .where(and(inArray(events.instanceId, instanceIds), isNull(events.organizationId)));
  }
  return { instances: claimed.length, apiKeys: apiKeyCount };
}

/**
 * A phone is unique per organization. When the organization already has a contact for a phone the
 * visitor also talked to (possible when an existing account claims a device, e.g. OAuth sign-in),
 * the visitor's rows are re-pointed to the organization's contact and the duplicate is dropped,
 * instead of the unique index failing the whole sign-in.
 */
async function mergeDuplicateContacts(tx: DbOrTx, deviceId: string, organizationId: string) {
  const visitorContacts = await tx
    .select({ id: contacts.id, phone: contacts.phone })
    .from(contacts)
    .where(and(eq(contacts.deviceId, deviceId), isNull(contacts.organizationId)));
  if (visitorContacts.length === 0) return;
  const existing = await tx
    .select({ id: contacts.id, phone: contacts.phone })
    .from(contacts)
    .where(and(eq(contacts.organizationId, organizationId), inArray(contacts.phone, visitorContacts.map((c) => c.phone))));
  const byPhone = new Map(existing.map((c) => [c.phone, c.id]));
  for (const visitor of visitorContacts) {
    const target = byPhone.get(visitor.phone);
    if (!target) continue;
    // The visitor's conversations are on its own (just claimed) instances, so (instance, contact) stays unique.
    await tx.update(conversations).set({ contactId: target }).where(eq(conversations.contactId, visitor.id));
    await tx.update(messages).set({ contactId: target }).where(eq(messages.contactId, visitor.id));
    await moveContactThreads(visitor.id, target, tx);
    await moveContactFirings(visitor.id, target, tx);
    await tx.delete(contacts).where(eq(contacts.id, visitor.id));
  }
}
