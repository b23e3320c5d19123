import { and, asc, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { instances, messages } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { wireFeatures } from "@/routes";
import type { Instance } from "@/db/schema";

let seq = 0;

/** A connected sandbox instance of the organization, inserted directly. */
export async function connectedInstance(organizationId: string): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({ organizationId, name: `Bot number ${++seq}`, provider: "sandbox", status: "connected", waJid: "5500000000001@s.whatsapp.net" })
    .returning();
  return row!;
}

/** A contact writes to the instance through the real inbound pipeline; waits for automation hooks. */
export async function contactWrites(instance: Instance, from: string, text: string) {
  // The composition root subscribes automation when an app is built; these tests ingest without one.
  wireFeatures();
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `in-${Date.now()}-${++seq}`,
    from,
    type: "text",
    body: text,
    timestamp: new Date(),
  });
  if (result.kind === "message") await result.hooks;
  return result;
}

/** The texts the bot queued to a contact's conversation, oldest first. */
export async function botTexts(instanceId: string): Promise<string[]> {
  const rows = await db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.instanceId, instanceId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt));
  return rows.map((r) => r.body ?? "");
}
