import { describe, expect, test } from "bun:test";
import { eq, inArray } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, conversations, instances, messages, organizationRetention } from "@/db/schema";
import { MESSAGE_SWEEP_BATCH, sweepExpiredMessages } from "@/features/retention/retention.messages";
import { createOwner } from "../helpers/factories";

const DAY = 86_400_000;

/** A conversation of `organizationId` with messages written `ages` days ago. */
async function conversationWith(organizationId: string, ages: number[]) {
  const [instance] = await db.insert(instances).values({ organizationId, name: "Main" }).returning();
  const [contact] = await db
    .insert(contacts)
    .values({ organizationId, phone: `+55119${Math.floor(Math.random() * 1e8)}`, name: "Ana" })
    .returning();
  const [conversation] = await db.insert(conversations).values({ organizationId, instanceId: instance!.id, contactId: contact!.id }).returning();
  const rows = await db
    .insert(messages)
    .values(
      ages.map((days) => ({
        organizationId,
        instanceId: instance!.id,
        conversationId: conversation!.id,
        contactId: contact!.id,
        direction: "inbound" as const,
        type: "text" as const,
        body: `${days} days old`,
        status: "delivered" as const,
        createdAt: new Date(Date.now() - days * DAY),
      })),
    )
    .returning({ id: messages.id, body: messages.body });
  return { conversation: conversation!, rows };
}

describe("message retention", () => {
  test("messages are kept by default; an organization that chose N days loses only its messages older than that", async () => {
    const keeper = await createOwner();
    const chooser = await createOwner();
    const kept = await conversationWith(keeper.organization.id, [400, 100, 1]);
    const chosen = await conversationWith(chooser.organization.id, [400, 100, 29, 1]);
    await db.insert(organizationRetention).values({ organizationId: chooser.organization.id, messagesDays: 30 });

    expect(await sweepExpiredMessages()).toBe(2);
    const left = await db.select({ body: messages.body }).from(messages).where(eq(messages.conversationId, chosen.conversation.id));
    expect(left.map((m) => m.body).sort()).toEqual(["1 days old", "29 days old"]);
    const untouched = await db
      .select()
      .from(messages)
      .where(
        inArray(
          messages.id,
          kept.rows.map((r) => r.id),
        ),
      );
    expect(untouched).toHaveLength(3);
    // The conversation itself stays (its contact, labels and history of assignments are not messages).
    expect(await db.select().from(conversations).where(eq(conversations.id, chosen.conversation.id))).toHaveLength(1);
    expect(await sweepExpiredMessages()).toBe(0);
  });

  test("a backlog larger than one batch goes in several statements", async () => {
    const { organization } = await createOwner();
    await conversationWith(
      organization.id,
      Array.from({ length: MESSAGE_SWEEP_BATCH + 20 }, () => 10),
    );
    await db.insert(organizationRetention).values({ organizationId: organization.id, messagesDays: 5 });
    expect(await sweepExpiredMessages()).toBe(MESSAGE_SWEEP_BATCH + 20);
    expect(await db.select().from(messages).where(eq(messages.organizationId, organization.id))).toHaveLength(0);
  });
});
