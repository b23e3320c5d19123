import { randomBytes } from "node:crypto";
import type { GroupDetails, GroupOperations, ParticipantResult } from "./groups";
import { ProviderError, type ProviderInstance } from "./provider";

/**
 * The simulated WhatsApp's groups: kept in this process per instance (like a phone's memory, they are
 * gone when the server restarts; the group contacts LivChat stored stay). Every operation a real
 * provider offers succeeds here with WhatsApp's rules: only a connected number acts, the business is
 * the group's super admin, removing someone who is not in the group fails for that participant.
 */
type SandboxGroup = GroupDetails & { invite: string };

export function sandboxGroups(ownPhone: (instance: ProviderInstance) => string | undefined): GroupOperations {
  const byInstance = new Map<string, Map<string, SandboxGroup>>();
  const groupsOf = (instance: ProviderInstance) => {
    if (instance.status !== "connected") throw new ProviderError("The sandbox instance is not connected; scan its QR code first", false, 409);
    let groups = byInstance.get(instance.id);
    if (!groups) {
      groups = new Map();
      byInstance.set(instance.id, groups);
    }
    return groups;
  };
  const find = (instance: ProviderInstance, groupId: string) => {
    const group = groupsOf(instance).get(groupId);
    if (!group) throw new ProviderError("sandbox: the number is not in this group", false, 404);
    return group;
  };
  const inviteCode = () => randomBytes(16).toString("base64url").slice(0, 22);
  const view = ({ invite: _invite, participants, ...group }: SandboxGroup): GroupDetails => ({ ...group, participants: participants.map((p) => ({ ...p })) });

  return {
    async list(instance) {
      return [...groupsOf(instance).values()].map(view);
    },
    async info(instance, groupId) {
      return view(find(instance, groupId));
    },
    async create(instance, subject, participants) {
      const groups = groupsOf(instance);
      const id = `1203630${randomBytes(6).readUIntBE(0, 6).toString().padStart(11, "0")}`;
      const owner = ownPhone(instance);
      const group: SandboxGroup = {
        id,
        subject,
        owner,
        createdAt: new Date(),
        locked: false,
        announce: false,
        invite: inviteCode(),
        participants: [
          ...(owner ? [{ phone: owner, admin: true, superAdmin: true }] : []),
          ...[...new Set(participants)].filter((p) => p !== owner).map((phone) => ({ phone, admin: false, superAdmin: false })),
        ],
      };
      groups.set(id, group);
      return view(group);
    },
    async setSubject(instance, groupId, subject) {
      find(instance, groupId).subject = subject;
    },
    async setDescription(instance, groupId, description) {
      find(instance, groupId).description = description || undefined;
    },
    async setPicture(instance, groupId) {
      const group = find(instance, groupId);
      group.pictureUrl = `https://sandbox.invalid/groups/${group.id}/${randomBytes(4).toString("hex")}.jpg`;
    },
    async updateParticipants(instance, groupId, action, phones) {
      const group = find(instance, groupId);
      return phones.map((phone): ParticipantResult => {
        const member = group.participants.find((p) => p.phone === phone);
        if (action === "add") {
          if (member) return { phone, ok: false, error: "409" };
          group.participants.push({ phone, admin: false, superAdmin: false });
          return { phone, ok: true };
        }
        if (!member || member.superAdmin) return { phone, ok: false, error: member ? "403" : "404" };
        if (action === "remove") group.participants = group.participants.filter((p) => p !== member);
        else member.admin = action === "promote";
        return { phone, ok: true };
      });
    },
    async inviteLink(instance, groupId, reset) {
      const group = find(instance, groupId);
      if (reset) group.invite = inviteCode();
      return `https://chat.whatsapp.com/${group.invite}`;
    },
    async leave(instance, groupId) {
      find(instance, groupId);
      groupsOf(instance).delete(groupId);
    },
  };
}
