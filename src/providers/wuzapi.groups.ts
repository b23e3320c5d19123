import { toDigits, toE164 } from "@/lib/phone";
import type { GroupDetails, GroupOperations, GroupParticipant, ParticipantResult } from "./groups";
import { arr, num, obj, str, type ProviderRequest } from "./http";
import { ProviderError, type ProviderInstance } from "./provider";

/*
 * WuzAPI group administration (github.com/asternic/wuzapi handlers.go, API.md). Every call carries the
 * instance user's `Token`; bodies and answers as the handlers read and write them:
 * - `GET /group/list` → `{Groups: [GroupInfo]}`; `GET /group/info?groupJID=` → GroupInfo (whatsmeow
 *   types.GroupInfo: JID, OwnerJID, Name, Topic, IsLocked, IsAnnounce, GroupCreated,
 *   Participants: [{JID, PhoneNumber, LID, IsAdmin, IsSuperAdmin, Error}]);
 * - `POST /group/create` `{Name, Participants: [digits]}` → GroupInfo;
 * - `POST /group/name` `{GroupJID, Name}`, `POST /group/topic` `{GroupJID, Topic}`,
 *   `POST /group/photo` `{GroupJID, Image: "data:image/jpeg;base64,…"}`;
 * - `POST /group/updateparticipants` `{GroupJID, Phone: [digits], Action: add|remove|promote|demote}`;
 * - `GET /group/invitelink?groupJID=&reset=` → `{InviteLink}`; `POST /group/leave` `{GroupJID}`.
 * Pure translation: the adapter passes its per-user HTTP call in (wuzapi.ts `asUser`).
 */

export type WuzapiCall = (instance: ProviderInstance, path: string, init?: ProviderRequest) => Promise<Record<string, unknown>>;

const groupJid = (groupId: string) => `${groupId.split("@")[0]}@g.us`;

/** The user part of a JID ("5511…:3@s.whatsapp.net" → "5511…"), and its server. */
function splitJid(jid: string | undefined): { user: string; server: string } | undefined {
  if (!jid) return undefined;
  const [user, server = ""] = jid.split("@");
  return { user: user!.split(":")[0]!.split(".")[0]!, server };
}

function phoneOf(jid: string | undefined): string | undefined {
  const parts = splitJid(jid);
  return parts && parts.server === "s.whatsapp.net" ? (toE164(parts.user) ?? undefined) : undefined;
}

function participantOf(value: unknown): GroupParticipant | null {
  const p = obj(value);
  if (!p) return null;
  const jid = str(p.JID);
  const lidJid = splitJid(jid)?.server === "lid" ? jid : str(p.LID);
  const phone = phoneOf(jid) ?? phoneOf(str(p.PhoneNumber));
  const lid = splitJid(lidJid)?.user;
  if (!phone && !lid) return null;
  return { ...(phone ? { phone } : {}), ...(lid ? { lid } : {}), admin: p.IsAdmin === true || p.IsSuperAdmin === true, superAdmin: p.IsSuperAdmin === true };
}

/** A whatsmeow GroupInfo as WuzAPI serializes it. */
export function parseWuzapiGroup(value: unknown): GroupDetails | null {
  const g = obj(value);
  const id = splitJid(str(g?.JID));
  if (!g || !id || id.server !== "g.us") return null;
  const created = str(g.GroupCreated);
  const createdAt = created && !created.startsWith("0001-") ? new Date(created) : undefined;
  return {
    id: id.user,
    subject: str(g.Name),
    description: str(g.Topic),
    owner: phoneOf(str(g.OwnerJID)) ?? phoneOf(str(g.OwnerPN)),
    ...(createdAt && !Number.isNaN(createdAt.getTime()) ? { createdAt } : {}),
    locked: g.IsLocked === true,
    announce: g.IsAnnounce === true,
    participants: arr(g.Participants)
      .map(participantOf)
      .filter((p): p is GroupParticipant => p !== null),
  };
}

function need(group: GroupDetails | null, what: string): GroupDetails {
  if (!group) throw new ProviderError(`wuzapi: ${what} answered without a group`, false);
  return group;
}

/** Participant errors as whatsmeow reports them per participant (`Error`: a WhatsApp status code such as 403 or 409). */
function participantResults(data: Record<string, unknown>, phones: string[]): ParticipantResult[] {
  const errors = new Map<string, string>();
  for (const value of arr(data.Participants ?? data.participants)) {
    const p = obj(value);
    const phone = phoneOf(str(p?.JID)) ?? phoneOf(str(p?.PhoneNumber));
    const error = num(p?.Error);
    if (phone && error) errors.set(phone, String(error));
  }
  return phones.map((phone) => (errors.has(phone) ? { phone, ok: false, error: errors.get(phone) } : { phone, ok: true }));
}

export function wuzapiGroups(call: WuzapiCall): GroupOperations {
  return {
    async list(instance) {
      const data = await call(instance, "/group/list", { method: "GET" });
      return arr(data.Groups ?? data.groups)
        .map(parseWuzapiGroup)
        .filter((g): g is GroupDetails => g !== null);
    },

    async info(instance, groupId) {
      const data = await call(instance, `/group/info?groupJID=${encodeURIComponent(groupJid(groupId))}`, { method: "GET" });
      const group = need(parseWuzapiGroup(data), "/group/info");
      try {
        const avatar = await call(instance, "/user/avatar", { body: { Phone: groupJid(groupId), Preview: true } });
        const url = str(avatar.URL) ?? str(avatar.url);
        if (url) group.pictureUrl = url;
      } catch (err) {
        // A group without a picture is answered with an error ("No avatar found"): the rest still counts.
        if (!(err instanceof ProviderError)) throw err;
      }
      return group;
    },

    async create(instance, subject, participants) {
      const data = await call(instance, "/group/create", { body: { Name: subject, Participants: participants.map(toDigits) } });
      return need(parseWuzapiGroup(data), "/group/create");
    },

    async setSubject(instance, groupId, subject) {
      await call(instance, "/group/name", { body: { GroupJID: groupJid(groupId), Name: subject } });
    },

    async setDescription(instance, groupId, description) {
      await call(instance, "/group/topic", { body: { GroupJID: groupJid(groupId), Topic: description } });
    },

    async setPicture(instance, groupId, jpeg) {
      const image = `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}`;
      await call(instance, "/group/photo", { body: { GroupJID: groupJid(groupId), Image: image } });
    },

    async updateParticipants(instance, groupId, action, phones) {
      const data = await call(instance, "/group/updateparticipants", {
        body: { GroupJID: groupJid(groupId), Phone: phones.map(toDigits), Action: action },
      });
      return participantResults(data, phones);
    },

    async inviteLink(instance, groupId, reset) {
      const data = await call(instance, `/group/invitelink?groupJID=${encodeURIComponent(groupJid(groupId))}&reset=${reset}`, { method: "GET" });
      const link = str(data.InviteLink) ?? str(data.inviteLink);
      if (!link) throw new ProviderError("wuzapi: /group/invitelink answered without a link", false);
      return link;
    },

    async leave(instance, groupId) {
      await call(instance, "/group/leave", { body: { GroupJID: groupJid(groupId) } });
    },
  };
}
