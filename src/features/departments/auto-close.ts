import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, conversations, departments, organizations } from "@/db/schema";
import { autoCloseConversation, idleConversations } from "@/features/conversations/routing";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { systemCaller } from "@/lib/caller";
import { withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";

/** How often the auto-close pass runs, and how many conversations one pass closes at most (mutable for tests). */
export const autoCloseSettings = { intervalMs: 60_000, batch: 200 };

/**
 * One auto-close pass at `now` (issue 19 item 12): every open conversation of a department with an idle time
 * whose last message is ours and older than it is resolved with the reason recorded (conversations/routing
 * re-checks each under its row lock, so a contact who answered meanwhile keeps it open and two processes
 * running the pass close it once); only the pass that closed it sends the department's closing message,
 * through the normal outbound path. Answers how many it closed.
 */
export async function runAutoClose(now = new Date()): Promise<number> {
  const idle = await idleConversations(now, autoCloseSettings.batch);
  let closed = 0;
  for (const candidate of idle) {
    try {
      if (!(await autoCloseConversation(candidate.organizationId, candidate.id, now))) continue;
      closed++;
      await sendClosingMessage(candidate.organizationId, candidate.id, candidate.departmentId);
    } catch (err) {
      log.error("auto-close failed", { conversationId: candidate.id, err });
    }
  }
  return closed;
}

async function sendClosingMessage(organizationId: string, conversationId: string, departmentId: string): Promise<void> {
  const [row] = await db
    .select({
      message: departments.autoCloseMessage,
      instanceId: conversations.instanceId,
      contactId: contacts.id,
      locale: organizations.language,
      timeZone: organizations.timeZone,
    })
    .from(conversations)
    .innerJoin(departments, eq(departments.id, departmentId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .innerJoin(organizations, eq(organizations.id, conversations.organizationId))
    .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)))
    .limit(1);
  if (!row?.message) return;
  const text = row.message;
  try {
    await withLocale({ locale: row.locale, timeZone: row.timeZone }, () =>
      queueOutboundMessage(
        systemCaller("auto-close", organizationId),
        { instanceId: row.instanceId, contactId: row.contactId, type: "text", text },
        { sentBy: "bot" },
      ),
    );
  } catch (err) {
    // Resolved either way: a closing message the provider or the 24 h window refuses is not retried (it would be sent late).
    log.warn("auto-close message not sent", { conversationId, err });
  }
}
