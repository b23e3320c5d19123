import type { ProviderInstance } from "./provider";

/**
 * Group administration a provider may offer (`WhatsAppProvider.groups`). Group ids are the provider's
 * own (WuzAPI: the `…@g.us` user part). Participants are given as E.164 phones; a provider answers them
 * with every identity it knows (phone, LID). An adapter without `groups` has no group administration:
 * the groups service refuses with 422 `unsupported_by_provider`.
 */
export type GroupParticipant = { phone?: string; lid?: string; admin: boolean; superAdmin: boolean };

export type GroupDetails = {
  id: string;
  subject?: string;
  description?: string;
  /** Set when the provider told it (WuzAPI answers it on a separate call; lists leave it out). */
  pictureUrl?: string;
  /** The phone (E.164) of the group's owner, when known. */
  owner?: string;
  createdAt?: Date;
  /** Only admins may change subject, description and picture. */
  locked?: boolean;
  /** Only admins may write. */
  announce?: boolean;
  participants: GroupParticipant[];
};

export type ParticipantAction = "add" | "remove" | "promote" | "demote";

/** Per participant: whether the provider applied the change (`error` is its reason otherwise). */
export type ParticipantResult = { phone: string; ok: boolean; error?: string };

export interface GroupOperations {
  list(instance: ProviderInstance): Promise<GroupDetails[]>;
  info(instance: ProviderInstance, groupId: string): Promise<GroupDetails>;
  /** `participants`: E.164 phones (the business itself is added by WhatsApp). */
  create(instance: ProviderInstance, subject: string, participants: string[]): Promise<GroupDetails>;
  setSubject(instance: ProviderInstance, groupId: string, subject: string): Promise<void>;
  setDescription(instance: ProviderInstance, groupId: string, description: string): Promise<void>;
  /** A JPEG picture (WhatsApp accepts only JPEG for group pictures). */
  setPicture(instance: ProviderInstance, groupId: string, jpeg: Uint8Array): Promise<void>;
  updateParticipants(instance: ProviderInstance, groupId: string, action: ParticipantAction, phones: string[]): Promise<ParticipantResult[]>;
  /** The invite link; `reset` revokes the current one and answers the new link. */
  inviteLink(instance: ProviderInstance, groupId: string, reset: boolean): Promise<string>;
  leave(instance: ProviderInstance, groupId: string): Promise<void>;
}
