import { and, eq, isNull } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { devices } from "@/db/schema";
import { claimDeviceApiKeys } from "@/features/api-keys/api-key.service";
import { claimDeviceContacts, deleteMergedContact, deviceContactDuplicates } from "@/features/contacts/contact.service";
import { claimDeviceIdentities } from "@/features/contacts/identity.service";
import { claimInstanceConversations, moveContactConversations } from "@/features/conversations/conversation.service";
import { claimInstanceEvents } from "@/features/events/event.service";
import { claimDeviceInstances } from "@/features/instances/instance.service";
import { claimDeviceMedia } from "@/features/media/media.service";
import { claimInstanceMessages, moveContactMessages } from "@/features/messages/message.service";
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
  const instanceIds = await claimDeviceInstances(deviceId, organizationId, now, tx);
  const apiKeyCount = await claimDeviceApiKeys(deviceId, organizationId, tx);
  await mergeDuplicateContacts(tx, deviceId, organizationId);
  await claimDeviceContacts(deviceId, organizationId, tx);
  await claimDeviceIdentities(deviceId, organizationId, tx);
  await claimDeviceThreads(deviceId, organizationId, tx);
  await claimInstanceConversations(instanceIds, organizationId, tx);
  await claimInstanceMessages(instanceIds, organizationId, tx);
  await claimInstanceEvents(instanceIds, organizationId, tx);
  await claimDeviceMedia(deviceId, organizationId, tx);
  return { instances: instanceIds.length, apiKeys: apiKeyCount };
}

/**
 * A phone is unique per organization. When the organization already has a contact for a phone the
 * visitor also talked to (possible when an existing account claims a device, e.g. OAuth sign-in),
 * the visitor's rows are re-pointed to the organization's contact and the duplicate is dropped,
 * instead of the unique index failing the whole sign-in.
 */
async function mergeDuplicateContacts(tx: DbOrTx, deviceId: string, organizationId: string) {
  for (const { visitorId, targetId } of await deviceContactDuplicates(deviceId, organizationId, tx)) {
    // The visitor's conversations are on its own (just claimed) instances, so (instance, contact) stays unique.
    await moveContactConversations(visitorId, targetId, tx);
    await moveContactMessages(visitorId, targetId, tx);
    await moveContactThreads(visitorId, targetId, tx);
    await moveContactFirings(visitorId, targetId, tx);
    await deleteMergedContact(visitorId, tx);
  }
}
