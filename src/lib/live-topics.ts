import { sql, type SQL } from "drizzle-orm";

/**
 * Every live topic's name, built here and nowhere else (publishers and SSE pages must agree on them,
 * and so must the inbound batch SQL that publishes from Postgres). Carried on src/lib/live.ts.
 */
export const liveTopics = {
  /** An organization's inbox: `{conversationId, messageId?, status?}` when a conversation changes. */
  orgInbox: (organizationId: string) => `org:${organizationId}:inbox`,
  /** A visitor device's inbox while its instances are unclaimed (the try pages). */
  deviceInbox: (deviceId: string) => `device:${deviceId}:inbox`,
  /** An organization's event log: `{id, type}` per recorded event. */
  orgEvents: (organizationId: string) => `org:${organizationId}:events`,
  /** An organization's agents' availability: `{userId, status}` when a member goes online, away or offline. */
  orgAvailability: (organizationId: string) => `org:${organizationId}:availability`,
  /** An instance's connection: `{status, qr?}`. */
  instance: (instanceId: string) => `instance:${instanceId}`,
  /** A member's direct chats with AI agents: `{chatId, kind: "delta" | "done", text?}` (private: the member's own id). */
  userAgentChats: (userId: string) => `user:${userId}:agent-chats`,
  /** A campaign's progress: `{targetId?, state?}` whenever a target's state changes. */
  campaign: (campaignId: string) => `campaign:${campaignId}`,
  /** A contact CSV import's progress: `{status, rowsRead, created, updated, rejected}` after every batch. */
  contactImport: (importId: string) => `contact-import:${importId}`,
};

/** orgEvents built in SQL from an organization id expression (for statements that NOTIFY themselves). */
export const orgEventsTopicSql = (organizationId: SQL): SQL => sql`concat_ws(':', 'org', ${organizationId}, 'events')`;

/** The live topic of an instance's inbox: the organization's, or the visitor device's while unclaimed. */
export function inboxTopic(instance: { organizationId: string | null; createdByDeviceId: string | null }): string | null {
  if (instance.organizationId) return liveTopics.orgInbox(instance.organizationId);
  if (instance.createdByDeviceId) return liveTopics.deviceInbox(instance.createdByDeviceId);
  return null;
}
