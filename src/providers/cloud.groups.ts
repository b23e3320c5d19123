import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { toDigits, toE164 } from "@/lib/phone";
import type { GroupDetails, GroupOperations, GroupParticipant, ParticipantResult } from "./groups";
import { arr, num, obj, str } from "./http";
import { ProviderError, type ProviderInstance } from "./provider";

/*
 * Meta WhatsApp Cloud API Groups API, mapped as Meta's reference documents it (v23.0 pages "WhatsApp
 * Business Cloud API - Groups Management API", "- Groups Query API", "- Groups Participants API",
 * "- Groups Invite Link API" and the overview "Group management"):
 * - list: `GET /{phone-number-id}/groups?limit=&after=` → `{data: {groups: [{id, subject, created_at}]},
 *   paging: {cursors: {after}, next}}` (every page is read; a list carries no participants);
 * - info: `GET /{group-id}?fields=subject,description,creation_timestamp,participants,total_participant_count`
 *   → participants `[{wa_id}]`, "excluding your business" (Meta reports no admin flags);
 * - subject / description: `POST /{group-id}` `{messaging_product, subject | description}`;
 * - remove participants: `DELETE /{group-id}/participants` `{messaging_product, participants: [{user}]}`,
 *   at most 8 per request (larger lists go in several requests);
 * - invite link: `GET /{group-id}/invite_link` → `{invite_link}`; reset: `POST /{group-id}/invite_link`
 *   `{messaging_product}` → the new `{invite_link}`.
 * What Meta does not offer is refused with 422 `unsupported_by_provider` naming the feature: adding
 * participants directly ("you cannot manually add participants": they join by the invite link),
 * promote / demote, leaving (Meta offers only deleting the group, which removes everyone — not the same
 * act, so it is not passed off as "leave"). Creating is refused too: `POST /{phone-number-id}/groups`
 * makes an empty group asynchronously and answers only a `request_id` (the group id comes later in a
 * `group_lifecycle_update` webhook), while our create answers the group with its participants. The
 * picture field of `POST /{group-id}` is a file upload whose encoding those pages leave unstated, so it
 * is refused rather than guessed. Pure translation: the adapter passes its Graph call in (cloud.ts `graph`).
 */

export type GraphCall = <T = Record<string, unknown>>(instance: ProviderInstance, path: string, body?: unknown, method?: "DELETE") => Promise<T>;

/** Meta's limit of participants removed per request. */
export const CLOUD_REMOVE_BATCH = 8;
const LIST_PAGE = 200;
const MAX_PAGES = 50;
const INFO_FIELDS = "subject,description,creation_timestamp,participants,total_participant_count";

function unsupported(feature: "create" | "add" | "promote" | "demote" | "picture" | "leave"): AppError {
  const message = tText("groups:errors.unsupported", { provider: tText("groups:providers.cloud"), feature: tText(`groups:cloud.${feature}`) });
  return new AppError("unsupported_by_provider", message, [{ path: feature === "picture" ? "picture" : feature === "create" ? "id" : "action", message }]);
}

const seconds = (value: unknown): Date | undefined => {
  const n = num(value);
  return n !== undefined && n > 0 ? new Date(n * 1000) : undefined;
};

function participantOf(value: unknown): GroupParticipant | null {
  const phone = toE164(str(obj(value)?.wa_id) ?? "");
  return phone ? { phone, admin: false, superAdmin: false } : null;
}

/** `GET /{group-id}` as the Groups Query API answers it. */
export function parseCloudGroup(groupId: string, value: unknown): GroupDetails {
  const g = obj(value) ?? {};
  const createdAt = seconds(g.creation_timestamp);
  return {
    id: str(g.id) ?? groupId,
    subject: str(g.subject),
    description: str(g.description),
    ...(createdAt ? { createdAt } : {}),
    participants: arr(g.participants)
      .map(participantOf)
      .filter((p): p is GroupParticipant => p !== null),
  };
}

export function cloudGroups(graph: GraphCall): GroupOperations {
  const phoneNumberIdOf = (instance: ProviderInstance) => {
    const id = instance.providerConfig?.phoneNumberId;
    if (typeof id !== "string" || !id) throw new ProviderError("cloud: this instance has no phone number id", false, 400);
    return encodeURIComponent(id);
  };
  const group = (groupId: string) => encodeURIComponent(groupId);

  return {
    async list(instance) {
      const groups: GroupDetails[] = [];
      let after: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const query = `limit=${LIST_PAGE}${after ? `&after=${encodeURIComponent(after)}` : ""}`;
        const res = await graph(instance, `${phoneNumberIdOf(instance)}/groups?${query}`);
        for (const value of arr(obj(res.data)?.groups)) {
          const g = obj(value);
          const id = str(g?.id);
          if (!id) continue;
          // `created_at` is documented as a timestamp string; seconds since the epoch like creation_timestamp.
          const createdAt = seconds(g?.created_at);
          groups.push({ id, subject: str(g?.subject), ...(createdAt ? { createdAt } : {}), participants: [] });
        }
        const paging = obj(res.paging);
        after = str(obj(paging?.cursors)?.after);
        if (!str(paging?.next) || !after) break;
      }
      return groups;
    },

    async info(instance, groupId) {
      return parseCloudGroup(groupId, await graph(instance, `${group(groupId)}?fields=${INFO_FIELDS}`));
    },

    async create() {
      throw unsupported("create");
    },

    async setSubject(instance, groupId, subject) {
      await graph(instance, group(groupId), { messaging_product: "whatsapp", subject });
    },

    async setDescription(instance, groupId, description) {
      await graph(instance, group(groupId), { messaging_product: "whatsapp", description });
    },

    async setPicture() {
      throw unsupported("picture");
    },

    async updateParticipants(instance, groupId, action, phones) {
      if (action !== "remove") throw unsupported(action);
      const results: ParticipantResult[] = [];
      for (let i = 0; i < phones.length; i += CLOUD_REMOVE_BATCH) {
        const batch = phones.slice(i, i + CLOUD_REMOVE_BATCH);
        try {
          await graph(
            instance,
            `${group(groupId)}/participants`,
            { messaging_product: "whatsapp", participants: batch.map((phone) => ({ user: toDigits(phone) })) },
            "DELETE",
          );
          results.push(...batch.map((phone) => ({ phone, ok: true })));
        } catch (err) {
          // The first request failing fails the call; a later one leaves the earlier removals reported as done.
          if (i === 0 || !(err instanceof ProviderError)) throw err;
          results.push(...batch.map((phone) => ({ phone, ok: false, error: err.message })));
        }
      }
      return results;
    },

    async inviteLink(instance, groupId, reset) {
      const path = `${group(groupId)}/invite_link`;
      const res = reset ? await graph(instance, path, { messaging_product: "whatsapp" }) : await graph(instance, path);
      const link = str(res.invite_link);
      if (!link) throw new ProviderError("cloud: the invite link was answered without a link", false);
      return link;
    },

    async leave() {
      throw unsupported("leave");
    },
  };
}
