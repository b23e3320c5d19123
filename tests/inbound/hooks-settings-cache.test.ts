// Issue 21: for an organization with default settings, an ordinary inbound text costs no round trip in the
// inbound claims and hooks (their settings come from the org cache, src/db/org-cache.ts); and with the
// sync running, a change of any of those settings is seen by the next message once its NOTIFY arrived.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import { db, driver } from "@/db/client";
import { startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { nextOrgChange } from "@/db/org-cache";
import { alerts, contacts, messages, outageNotifications, satisfactionFeedback, sentimentChecks, sentimentSettings, type Instance } from "@/db/schema";
import { setAlertSettings } from "@/features/alerts/alert.rules";
import { setBusinessHours } from "@/features/business-hours/business-hours.service";
import { updateConsentSettings } from "@/features/consent/consent.service";
import { createDepartment } from "@/features/departments/department.service";
import { saveGreetingMenu } from "@/features/departments/greeting-menu";
import { inboundClaims, ingestInbound, onInboundMessage, type InboundMessageContext } from "@/features/inbound/inbound.service";
import { declareOutage } from "@/features/outages/outage.service";
import { wireFeatures } from "@/routes";
import { declaration, outageOrg, person, sendingNumber } from "../outages/helpers";

let org: Awaited<ReturnType<typeof outageOrg>>;
let number: Instance;
let seq = 0;

async function write(instance: Instance, from: string, text: string): Promise<InboundMessageContext> {
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `cache-in-${++seq}`,
    from,
    type: "text",
    body: text,
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.conversation || !result.contact || !result.message) throw new Error("not stored");
  await result.hooks;
  return { instance, contact: result.contact, conversation: result.conversation, message: result.message };
}

/** The statements the app sends while `fn` runs (postgres.js debug hook: every query, `begin` included). */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  if (driver.kind !== "postgres") throw new Error("these tests count postgres.js statements");
  // postgres.js reads `debug` from its options object at every query, so it can be switched on for a while.
  const options = driver.client.options as unknown as { debug: unknown };
  const seen: string[] = [];
  options.debug = (_connection: number, query: string) => seen.push(query.replace(/\s+/g, " ").trim());
  try {
    await fn();
  } finally {
    options.debug = false;
  }
  return seen;
}

/** The claims then the hooks, as inbound runs them for a stored message. */
async function runClaimsAndHooks(ctx: InboundMessageContext): Promise<void> {
  for (const claim of [...inboundClaims]) if (await claim(ctx)) return;
  for (const hook of [...onInboundMessage]) await hook(ctx);
}

async function outboundTexts(conversationId: string) {
  const rows = await db
    .select({ body: messages.body, type: messages.type })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt), asc(messages.id));
  return rows;
}

let phoneSeq = 0;
const newPhone = () => `+5521977${String(100000 + ++phoneSeq)}`;

beforeAll(async () => {
  wireFeatures();
  org = await outageOrg();
  number = await sendingNumber(org.organization.id);
  await startCacheSync();
});
afterAll(() => stopCacheSync());

describe("an ordinary inbound text of an organization with default settings", () => {
  test("costs no statement in the claims and hooks (cache warm, sync running)", async () => {
    const phone = newPhone();
    await write(number, phone, "primeira mensagem");
    // An existing contact's short text, as the ingestion bench sends (its hooks warmed the cache).
    let ctx!: InboundMessageContext;
    const whole = await statementsOf(async () => {
      ctx = await write(number, phone, "bench ingest 123");
    });
    const hooks = await statementsOf(() => runClaimsAndHooks(ctx));
    expect(hooks).toEqual([]);
    // The whole ingestion, for the record: what is left is the store's own work, none of it a hook's settings read.
    for (const table of ["consent_settings", "alert_settings", "outage", "greeting_menu", "business_hours", "satisfaction_feedback", "sentiment_settings"]) {
      expect(whole.filter((q) => q.includes(table))).toEqual([]);
    }
    expect(whole).not.toContain("begin");
    // The counter does see the hooks' reads: without the sync (no cache) they are back.
    await stopCacheSync();
    try {
      const uncached = await statementsOf(() => runClaimsAndHooks(ctx));
      for (const table of [
        "consent_settings",
        "alert_settings",
        "outages",
        "greeting_menus",
        "business_hours",
        "satisfaction_feedback",
        "sentiment_settings",
      ]) {
        expect(uncached.some((q) => q.includes(table))).toBe(true);
      }
    } finally {
      await startCacheSync();
    }
  });
});

describe("a change of settings is seen by the next inbound message once its NOTIFY arrived", () => {
  test("consent: an organization's own opt-out keyword", async () => {
    const phone = newPhone();
    await write(number, phone, "CANCELAR");
    const [before] = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, org.organization.id), eq(contacts.phone, phone)));
    expect(before?.optedOut).toBe(false);
    const heard = nextOrgChange("consent_settings", org.organization.id);
    await updateConsentSettings(org.owner, { optOutKeywords: ["CANCELAR"] });
    await heard;
    await write(number, phone, "cancelar");
    const [after] = await db.select().from(contacts).where(eq(contacts.id, before!.id));
    expect(after?.optedOut).toBe(true);
    await updateConsentSettings(org.owner, { optOutKeywords: [] });
  });

  test("alerts: an urgency word", async () => {
    const phone = newPhone();
    const first = await write(number, phone, "isso é urgentíssimo");
    const alertsOf = () => db.select().from(alerts).where(eq(alerts.conversationId, first.conversation.id));
    expect(await alertsOf()).toEqual([]);
    const heard = nextOrgChange("alert_settings", org.organization.id);
    await setAlertSettings(org.owner, { urgencyKeywords: ["urgentíssimo"] });
    await heard;
    await write(number, phone, "isso é urgentíssimo");
    expect((await alertsOf()).map((a) => a.type)).toEqual(["keyword"]);
    await setAlertSettings(org.owner, { urgencyKeywords: [] });
  });

  test("business hours: an out-of-hours reply once the organization is closed all week", async () => {
    const phone = newPhone();
    const first = await write(number, phone, "olá");
    expect(await outboundTexts(first.conversation.id)).toEqual([]);
    const heard = nextOrgChange("business_hours", org.organization.id);
    await setBusinessHours(org.owner, null, { intervals: [], outOfHoursMessage: "Fechados agora." });
    await heard;
    await write(number, phone, "alguém aí?");
    expect(await outboundTexts(first.conversation.id)).toEqual([{ type: "text", body: "Fechados agora." }]);
    const off = nextOrgChange("business_hours", org.organization.id);
    await setBusinessHours(org.owner, null, { enabled: false, intervals: [], outOfHoursMessage: null });
    await off;
  });

  test("greeting menu: an instance's menu turned on is sent on the next new conversation", async () => {
    const menuNumber = await sendingNumber(org.organization.id);
    const before = await write(menuNumber, newPhone(), "oi");
    expect(await outboundTexts(before.conversation.id)).toEqual([]);
    const support = await createDepartment(org.owner, { name: `Suporte ${++seq}` });
    const heard = nextOrgChange("greeting_menus", org.organization.id);
    await saveGreetingMenu(org.owner, menuNumber.id, {
      enabled: true,
      greeting: "Escolha:",
      options: [support.id],
      maxAttempts: 2,
      fallbackDepartmentId: null,
    });
    await heard;
    const after = await write(menuNumber, newPhone(), "oi");
    expect((await outboundTexts(after.conversation.id)).map((m) => m.type)).toEqual(["interactive"]);
  });

  test("satisfaction: a survey waiting for a score takes it", async () => {
    const phone = newPhone();
    const first = await write(number, phone, "obrigado");
    const heard = nextOrgChange("satisfaction_feedback", org.organization.id);
    const [survey] = await db
      .insert(satisfactionFeedback)
      .values({
        organizationId: org.organization.id,
        conversationId: first.conversation.id,
        contactId: first.contact.id,
        instanceId: number.id,
        expiresAt: new Date(Date.now() + 3_600_000),
      })
      .returning();
    await heard;
    await write(number, phone, "9");
    const [after] = await db.select().from(satisfactionFeedback).where(eq(satisfactionFeedback.id, survey!.id));
    expect({ state: after?.state, score: after?.npsScore }).toEqual({ state: "scored", score: 9 });
  });

  test("sentiment: turned on, the conversation's classification is queued", async () => {
    const phone = newPhone();
    const first = await write(number, phone, "bom dia");
    const checksOf = () => db.select().from(sentimentChecks).where(eq(sentimentChecks.conversationId, first.conversation.id));
    expect(await checksOf()).toEqual([]);
    const heard = nextOrgChange("sentiment_settings", org.organization.id);
    await db.insert(sentimentSettings).values({ organizationId: org.organization.id, enabled: true });
    await heard;
    await write(number, phone, "bom dia de novo");
    expect(await checksOf()).toHaveLength(1);
    await db.delete(sentimentSettings).where(eq(sentimentSettings.organizationId, org.organization.id));
  });

  test("outages: a declared outage's notice on inbound, then the contact's next message is its response", async () => {
    const ana = await person(org.organization.id, { city: "Teresópolis", name: "Ana", phone: newPhone() });
    await write(number, ana.phone!, "oi");
    const declared = nextOrgChange("outages", org.organization.id);
    const outage = await declareOutage(
      org.owner,
      declaration([number.id], { pacing: { perMinute: 1, jitterPercent: 0, dailyCap: 100 } }),
      new Date(Date.now() - 60 * 60_000),
    );
    await declared;
    const sent = nextOrgChange("outage_notifications", org.organization.id);
    await write(number, ana.phone!, "minha luz caiu");
    await sent;
    const notice = async () =>
      (
        await db
          .select()
          .from(outageNotifications)
          .where(and(eq(outageNotifications.outageId, outage.id), eq(outageNotifications.contactId, ana.id)))
      )[0];
    expect((await notice())?.via).toBe("inbound");
    expect((await notice())?.sentAt).not.toBeNull();
    await write(number, ana.phone!, "quando volta?");
    expect((await notice())?.responseText).toBe("quando volta?");
  });
});
