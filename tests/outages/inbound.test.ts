// Notice first on inbound: while an outage is active, a contact of its area who writes in gets the notice
// before the greeting menu and automation answer — once per contact and outage — and the message still
// reaches the menu/automation; the contact's words are recorded as the response to what they were sent.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { conversations, messages, outageNotifications, type Instance } from "@/db/schema";
import { createDepartment } from "@/features/departments/department.service";
import { saveGreetingMenu } from "@/features/departments/greeting-menu";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { dispatchOutages } from "@/features/outages/outage.dispatch";
import { declareOutage, resolveOutage } from "@/features/outages/outage.service";
import { createTemplate } from "@/features/templates/template.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createTrigger } from "@/features/triggers/trigger.service";
import { wireFeatures } from "@/routes";
import { systemCaller } from "@/lib/caller";
import { declaration, notificationsOf, outageOrg, outboundTo, person, sendingNumber } from "./helpers";

let org: Awaited<ReturnType<typeof outageOrg>>;
let menuNumber: Instance;
let botNumber: Instance;
let support: { id: string };
let outageId: string;
let seq = 0;

async function write(instance: Instance, from: string, text: string) {
  wireFeatures();
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `outage-in-${++seq}`,
    from,
    type: "text",
    body: text,
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.conversation) throw new Error("not stored");
  await result.hooks;
  return result.conversation.id;
}

async function sentIn(conversationId: string) {
  return db
    .select({ type: messages.type, body: messages.body })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt), asc(messages.id));
}

beforeAll(async () => {
  org = await outageOrg();
  menuNumber = await sendingNumber(org.organization.id);
  botNumber = await sendingNumber(org.organization.id);
  support = await createDepartment(org.owner, { name: "Suporte" });
  const sales = await createDepartment(org.owner, { name: "Vendas" });
  await saveGreetingMenu(org.owner, menuNumber.id, {
    enabled: true,
    greeting: "Escolha um setor:",
    options: [sales.id, support.id],
    maxAttempts: 2,
    fallbackDepartmentId: null,
  });
  const caller = systemCaller("test", org.organization.id);
  await createTemplate(caller, { key: "auto", body: "resposta automática", variants: [], variables: [], active: true });
  await createTrigger(
    caller,
    triggerSchema.parse({ match: "contains", pattern: "ajuda", action: "reply_template", templateKey: "auto", instanceId: botNumber.id }),
  );
});

describe("notice first on inbound", () => {
  test("a contact of the area who writes in gets the notice before the greeting menu, once; the menu still routes them", async () => {
    const contact = await person(org.organization.id, { city: "Teresópolis", name: "Ana", phone: "+5521970000101" });
    const outsider = await person(org.organization.id, { city: "Niterói", phone: "+5521970000102" });
    // Declared with a slow pace: Ana's broadcast turn has not come when she writes.
    // Declared an hour ago (its slots' clock starts then).
    const outage = await declareOutage(
      org.owner,
      declaration([menuNumber.id], { pacing: { perMinute: 1, jitterPercent: 0, dailyCap: 100 } }),
      new Date(Date.now() - 60 * 60_000),
    );
    outageId = outage.id;

    const conversationId = await write(menuNumber, "+5521970000101", "minha luz acabou");
    const first = await sentIn(conversationId);
    expect(first.map((m) => m.type)).toEqual(["text", "interactive"]);
    expect(first[0]!.body).toStartWith("Olá Ana, identificamos uma falha na sua região: Queda de energia.");
    expect(first[1]!.body).toBe("Escolha um setor:");
    const [row] = (await notificationsOf(outage.id, "notice")).filter((n) => n.contactId === contact.id);
    expect(row).toMatchObject({ via: "inbound", state: "sending", instanceId: menuNumber.id, respondedAt: null });

    // The answer to the menu: no second notice, routed by the menu, recorded as the response.
    await write(menuNumber, "+5521970000101", "2");
    const second = await sentIn(conversationId);
    expect(second.filter((m) => m.body?.includes("identificamos uma falha")).length).toBe(1);
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect(conversation!.departmentId).toBe(support.id);
    const [answered] = (await notificationsOf(outage.id, "notice")).filter((n) => n.contactId === contact.id);
    expect(answered!.responseText).toBe("2");
    expect(answered!.respondedAt).toBeInstanceOf(Date);

    // The broadcast never sends Ana a second notice.
    for (let s = 0; s < 5; s++) await dispatchOutages({ now: new Date(Date.now() + s * 61_000), random: () => 0 });
    expect((await outboundTo(contact.id)).filter((m) => m.body?.includes("identificamos uma falha")).length).toBe(1);

    // Outside the area: only the menu.
    const outsiderConversation = await write(menuNumber, "+5521970000102", "oi");
    expect((await sentIn(outsiderConversation)).map((m) => m.type)).toEqual(["interactive"]);
    expect((await notificationsOf(outage.id)).some((n) => n.contactId === outsider.id)).toBe(false);
  });

  test("automation (a keyword trigger) still answers after the notice", async () => {
    await person(org.organization.id, { city: "teresopolis", phone: "+5521970000103" });
    const conversationId = await write(botNumber, "+5521970000103", "preciso de ajuda");
    const texts = (await sentIn(conversationId)).map((m) => m.body ?? "");
    expect(texts.length).toBe(2);
    expect(texts[0]).toContain("identificamos uma falha");
    expect(texts[1]).toBe("resposta automática");
  });

  test("blocked contacts get nothing; after the resolution no notice goes out, and the reply to the resolution is its response", async () => {
    const blocked = await person(org.organization.id, { city: "Teresópolis", blocked: true, phone: "+5521970000104" });
    await write(botNumber, "+5521970000104", "ajuda");
    expect((await outboundTo(blocked.id)).some((m) => m.body?.includes("identificamos uma falha"))).toBe(false);

    // Resolved ten minutes ago; its two resolution messages (Ana and the contact of the trigger test) went out a minute apart.
    const resolvedAt = new Date(Date.now() - 10 * 60_000);
    // The notices went out before that (this file's clock: they were stamped moments ago).
    await db
      .update(outageNotifications)
      .set({ sentAt: new Date(resolvedAt.getTime() - 60_000) })
      .where(eq(outageNotifications.outageId, outageId));
    await resolveOutage(org.owner, outageId, {}, resolvedAt);
    for (let s = 0; s < 3; s++) await dispatchOutages({ now: new Date(resolvedAt.getTime() + s * 61_000), random: () => 0 });
    const late = await person(org.organization.id, { city: "Teresópolis", phone: "+5521970000105" });
    const conversationId = await write(botNumber, "+5521970000105", "ajuda");
    expect((await sentIn(conversationId)).map((m) => m.body)).toEqual(["resposta automática"]);
    expect((await notificationsOf(outageId)).some((n) => n.contactId === late.id)).toBe(false);

    const resolution = (await notificationsOf(outageId, "resolution")).find((n) => n.phone === "+5521970000101");
    expect(resolution?.sentAt).toBeInstanceOf(Date);
    await write(menuNumber, "+5521970000101", "obrigada!");
    const [answered] = (await notificationsOf(outageId, "resolution")).filter((n) => n.phone === "+5521970000101");
    expect(answered!.responseText).toBe("obrigada!");
  });
});
