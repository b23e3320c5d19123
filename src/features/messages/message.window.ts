import { and, desc, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { messages, type Instance } from "@/db/schema";
import { approvedTemplatesOf } from "@/features/templates/provider-template.service";
import { AppError } from "@/lib/errors";
import { formatDateTime, tText } from "@/lib/i18n";

/*
 * WhatsApp's customer service window (Cloud API): a business may send free-form messages to a person
 * for 24 hours after that person's last message; outside it only approved templates are delivered
 * (Meta answers error 131047 later). We refuse up front with 422 `outside_customer_window`, naming the
 * approved templates that could be sent instead. The window is derived from the conversation's last
 * inbound message (messages_conversation_created_idx serves it), so no second clock can drift.
 */

export const CUSTOMER_WINDOW_MS = 24 * 60 * 60 * 1000;

/** When the contact last wrote in this conversation, or null when never. */
export async function lastInboundAt(conversationId: string, tx: DbOrTx = db): Promise<Date | null> {
  const [row] = await tx
    .select({ at: messages.createdAt })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "inbound")))
    .orderBy(desc(messages.createdAt))
    .limit(1);
  return row?.at ?? null;
}

/** Milliseconds left in the window (0 when closed or never opened). */
export function windowRemainingMs(lastInbound: Date | null, now: Date = new Date()): number {
  if (!lastInbound) return 0;
  return Math.max(0, lastInbound.getTime() + CUSTOMER_WINDOW_MS - now.getTime());
}

/** Whether this instance's provider enforces the window (Cloud API numbers). */
export function hasCustomerWindow(instance: Pick<Instance, "provider">): boolean {
  return instance.provider === "cloud";
}

/** The window of a conversation as the inbox shows it; null for providers without one. */
export async function customerWindow(instance: Pick<Instance, "provider">, conversationId: string): Promise<{ open: boolean; remainingMs: number } | null> {
  if (!hasCustomerWindow(instance)) return null;
  const remainingMs = windowRemainingMs(await lastInboundAt(conversationId));
  return { open: remainingMs > 0, remainingMs };
}

/** "5 h 12 min" — hours and minutes left, as the inbox header shows them. */
export function formatRemaining(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** Refuses a free-form message (anything but a template) outside the window on a Cloud instance. */
export async function assertCustomerWindow(
  tx: DbOrTx,
  instance: Pick<Instance, "id" | "provider">,
  conversationId: string,
  type: string,
  now: Date,
): Promise<void> {
  if (!hasCustomerWindow(instance) || type === "template") return;
  const last = await lastInboundAt(conversationId, tx);
  if (windowRemainingMs(last, now) > 0) return;
  const approved = await approvedTemplatesOf(instance.id, tx);
  const templates = approved.length ? approved.map((t) => `${t.name} (${t.language})`).join(", ") : tText("templates:cloud.noApproved");
  const message = last
    ? tText("templates:cloud.outsideWindow", { since: formatDateTime(last), templates })
    : tText("templates:cloud.outsideWindowNever", { templates });
  throw new AppError(
    "outside_customer_window",
    message,
    approved.map((t) => ({ path: "template.name", message: `${t.name} (${t.language})` })),
  );
}
