import { db } from "@/db/client";
import type { Instance } from "@/db/schema";
import { normalizeIdentity, noteGroupPicture, ownerOfInstance, resolveGroup } from "@/features/contacts/identity.service";
import { recordEvents, type NewEvent } from "@/features/events/event.service";
import { callProvider } from "@/features/instances/instance.service";
import type { Caller } from "@/lib/caller";
import { AppError, conflict } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { instanceAccess, instanceOfTenant } from "@/lib/tenant";
import { providerFor } from "@/providers";
import type { GroupDetails, GroupOperations, ParticipantAction, ParticipantResult } from "@/providers/groups";
import type { InboundEvent } from "@/providers/provider";

/*
 * WhatsApp groups of one instance, administered through its provider (`WhatsAppProvider.groups`). A
 * group is also a contact of kind `group` (identity.service): listing, reading and creating keep that
 * contact's subject and picture current, so the inbox and `POST /v1/messages` `contactId` find it. Every
 * change made here is recorded as a `group.*` event (read with `contacts:read`).
 */

export type GroupJson = ReturnType<typeof groupJson>;

export function groupJson(group: GroupDetails, contactId: string | null) {
  return {
    id: group.id,
    contactId,
    subject: group.subject ?? null,
    description: group.description ?? null,
    pictureUrl: group.pictureUrl ?? null,
    owner: group.owner ?? null,
    createdAt: group.createdAt?.toISOString() ?? null,
    locked: group.locked ?? false,
    announce: group.announce ?? false,
    participants: group.participants.map((p) => ({ phone: p.phone ?? null, lid: p.lid ?? null, admin: p.admin, superAdmin: p.superAdmin })),
  };
}

/** The caller's connected instance and its provider's group operations (404, 409, 422 unsupported_by_provider). */
async function groupsOf(caller: Caller, instanceId: string): Promise<{ instance: Instance; ops: GroupOperations }> {
  const instance = await instanceOfTenant(instanceAccess(caller), instanceId);
  const ops = providerFor(instance).groups;
  if (!ops) {
    const message = tText("groups:errors.unsupported", {
      provider: tText(`groups:providers.${instance.provider}`),
      feature: tText("groups:errors.feature"),
    });
    throw new AppError("unsupported_by_provider", message, [{ path: "id", message }]);
  }
  if (instance.status !== "connected") throw conflict(tText("groups:errors.notConnected", { name: instance.name }));
  return { instance, ops };
}

/** A group id as the provider names it (a JID's user part is accepted); anything else cannot be a group: 404. */
function groupIdOf(raw: string): string {
  const id = normalizeIdentity("group", raw);
  if (!id || id.length > 128) throw new AppError("not_found", tText("groups:errors.notFound"));
  return id;
}

/** A provider's "no such group" answers 404; other failures 502 with the provider's reason. */
async function provider<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await callProvider(tText(`groups:provider.${what}`), fn);
  } catch (err) {
    if (err instanceof AppError && err.code === "provider_error" && /HTTP 404|not in this group|not-authorized|item-not-found/i.test(err.message))
      throw new AppError("not_found", tText("groups:errors.notFound"));
    throw err;
  }
}

function eventOf(instance: Instance, type: NewEvent["type"], data: Record<string, unknown>): NewEvent {
  return {
    organizationId: instance.organizationId,
    instanceId: instance.id,
    deviceId: instance.organizationId ? null : instance.createdByDeviceId,
    type,
    data: { source: "api", ...data },
  };
}

/**
 * Finds or creates the groups' contacts, renames them to the provider's subject and stores a picture
 * the provider told; records `events` (and any `contact.created`) in the same transaction.
 */
async function keepContacts(instance: Instance, groups: GroupDetails[], events: NewEvent[] = []): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  await db.transaction(async (tx) => {
    const ctx = { instanceId: instance.id, events: [] as NewEvent[] };
    for (const group of groups) {
      const contact = await resolveGroup(tx, ownerOfInstance(instance), { id: group.id, subject: group.subject }, ctx);
      if (!contact) continue;
      ids.set(group.id, contact.id);
      if (group.pictureUrl !== undefined) await noteGroupPicture(tx, contact, group.pictureUrl);
    }
    const withContacts = events.map((e) => ({ ...e, data: { ...e.data, contactId: ids.get(String(e.data.groupId)) ?? null } }));
    await recordEvents([...ctx.events, ...withContacts], tx);
  });
  return ids;
}

export async function listGroups(caller: Caller, instanceId: string): Promise<GroupJson[]> {
  const { instance, ops } = await groupsOf(caller, instanceId);
  const groups = await provider("list", () => ops.list(instance));
  const ids = await keepContacts(instance, groups);
  return groups.map((g) => groupJson(g, ids.get(g.id) ?? null));
}

export async function getGroup(caller: Caller, instanceId: string, rawGroupId: string): Promise<GroupJson> {
  const { instance, ops } = await groupsOf(caller, instanceId);
  const group = await provider("info", () => ops.info(instance, groupIdOf(rawGroupId)));
  const ids = await keepContacts(instance, [group]);
  return groupJson(group, ids.get(group.id) ?? null);
}

export async function createGroup(caller: Caller, instanceId: string, input: { subject: string; participants: string[] }): Promise<GroupJson> {
  const { instance, ops } = await groupsOf(caller, instanceId);
  const group = await provider("create", () => ops.create(instance, input.subject, input.participants));
  const ids = await keepContacts(
    instance,
    [group],
    [
      eventOf(instance, "group.created", {
        groupId: group.id,
        subject: group.subject ?? input.subject,
        participants: group.participants.map((p) => p.phone ?? p.lid ?? null),
      }),
    ],
  );
  return groupJson(group, ids.get(group.id) ?? null);
}

export async function updateGroup(
  caller: Caller,
  instanceId: string,
  rawGroupId: string,
  input: { subject?: string; description?: string; picture?: Uint8Array },
): Promise<GroupJson> {
  const { instance, ops } = await groupsOf(caller, instanceId);
  const groupId = groupIdOf(rawGroupId);
  // The picture first: a provider that cannot change it (Cloud API) refuses before anything else changed.
  if (input.picture !== undefined) await provider("update", () => ops.setPicture(instance, groupId, input.picture!));
  if (input.subject !== undefined) await provider("update", () => ops.setSubject(instance, groupId, input.subject!));
  if (input.description !== undefined) await provider("update", () => ops.setDescription(instance, groupId, input.description!));
  const group = await provider("info", () => ops.info(instance, groupId));
  const changed = [
    ...(input.subject !== undefined ? ["subject"] : []),
    ...(input.description !== undefined ? ["description"] : []),
    ...(input.picture ? ["picture"] : []),
  ];
  const ids = await keepContacts(
    instance,
    [group],
    [
      eventOf(instance, "group.updated", {
        groupId,
        changed,
        subject: group.subject ?? null,
        description: group.description ?? null,
        pictureUrl: group.pictureUrl ?? null,
      }),
    ],
  );
  return groupJson(group, ids.get(group.id) ?? null);
}

export async function changeParticipants(
  caller: Caller,
  instanceId: string,
  rawGroupId: string,
  action: ParticipantAction,
  phones: string[],
): Promise<ParticipantResult[]> {
  const { instance, ops } = await groupsOf(caller, instanceId);
  const groupId = groupIdOf(rawGroupId);
  const results = await provider("participants", () => ops.updateParticipants(instance, groupId, action, phones));
  const changed = results.filter((r) => r.ok).map((r) => r.phone);
  if (changed.length > 0)
    await keepContacts(
      instance,
      [{ id: groupId, participants: [] }],
      [eventOf(instance, "group.participants_changed", { groupId, action, participants: changed })],
    );
  return results;
}

export async function groupInviteLink(caller: Caller, instanceId: string, rawGroupId: string, reset: boolean): Promise<string> {
  const { instance, ops } = await groupsOf(caller, instanceId);
  const groupId = groupIdOf(rawGroupId);
  const link = await provider("inviteLink", () => ops.inviteLink(instance, groupId, reset));
  if (reset) await keepContacts(instance, [{ id: groupId, participants: [] }], [eventOf(instance, "group.updated", { groupId, changed: ["inviteLink"] })]);
  return link;
}

export async function leaveGroup(caller: Caller, instanceId: string, rawGroupId: string): Promise<void> {
  const { instance, ops } = await groupsOf(caller, instanceId);
  const groupId = groupIdOf(rawGroupId);
  await provider("leave", () => ops.leave(instance, groupId));
  await keepContacts(instance, [{ id: groupId, participants: [] }], [eventOf(instance, "group.left", { groupId, self: true })]);
}

type GroupChange = Extract<InboundEvent, { kind: "group_change" }>;

/**
 * A change the provider reported (WuzAPI GroupInfo / JoinedGroup webhooks): the group's contact is kept
 * (renamed to a new subject) and the change recorded as `group.updated`, `group.participants_changed`,
 * `group.joined` or `group.left`. Registered on inbound's `onGroupChange` by the composition root.
 */
export async function applyGroupChange(instance: Instance, change: GroupChange): Promise<void> {
  const type = `group.${change.change}` as const;
  await keepContacts(
    instance,
    [{ id: change.groupId, subject: change.subject, participants: [] }],
    [
      eventOf(instance, type, {
        groupId: change.groupId,
        source: "provider",
        ...(change.subject !== undefined ? { subject: change.subject } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.action ? { action: change.action } : {}),
        ...(change.participants ? { participants: change.participants.map((p) => p.phone ?? p.lid ?? null) } : {}),
        ...(change.self ? { self: true } : {}),
        at: change.timestamp.toISOString(),
      }),
    ],
  );
}
