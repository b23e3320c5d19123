import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, messages, users, type Instance } from "@/db/schema";
import { ingestEvents } from "@/features/inbound/inbound.service";
import type { InboundEvent } from "@/providers/provider";
import { setupOrg } from "../helpers/factories";

/**
 * The inbox bubble shows what the inbound types carry: the quote linked to its message, reactions on
 * their target, the edited mark with earlier versions, the deleted mark, the chosen button's id, the ad
 * referral, polls, contact cards, locations on OpenStreetMap, and unsupported types by their raw name.
 */

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let instance: Instance;
let page = "";

type MessageEvent = Extract<InboundEvent, { kind: "message" }>;
const from = { from: "+5511933332222", sender: { phone: "+5511933332222", name: "Rita" } };
const at = (minute: number) => new Date(Date.UTC(2026, 0, 3, 9, minute));
const m = (id: string, minute: number, extra: Partial<MessageEvent>): MessageEvent => ({
  kind: "message",
  providerMessageId: id,
  ...from,
  type: "text",
  timestamp: at(minute),
  ...extra,
});
const idOf = async (providerMessageId: string) => (await db.select().from(messages).where(eq(messages.providerMessageId, providerMessageId)))[0]!.id;

beforeAll(async () => {
  org = await setupOrg(app);
  await db.update(users).set({ language: "en" }).where(eq(users.id, org.user.id));
  [instance] = (await db
    .insert(instances)
    .values({ organizationId: org.organization.id, name: "render", provider: "wuzapi", status: "connected" })
    .returning()) as [Instance];
  await ingestEvents(instance, [
    m("V-1", 0, { body: "Hi! I saw your ad", referral: { headline: "Spring Sale", sourceUrl: "https://fb.me/ad", ctwaClid: "clid-123" } }),
    m("V-2", 1, { body: "first words" }),
    m("V-3", 2, { body: "about that", quotedProviderMessageId: "V-2" }),
    m("V-4", 3, { type: "reaction", body: "👍", reaction: { targetProviderMessageId: "V-2", emoji: "👍" }, media: { messageId: "V-2", emoji: "👍" } }),
    m("V-5", 4, { type: "interactive", body: "Talk to sales", interactive: { kind: "button", id: "btn_sales", title: "Talk to sales" } }),
    m("V-6", 5, { type: "poll", body: "Which day?", poll: { name: "Which day?", options: ["Monday", "Friday"], selectableCount: 1 } }),
    m("V-7", 6, {
      type: "contact",
      body: "2 contacts",
      contacts: [
        { name: "Ana", phones: ["+5521998877665"] },
        { name: "Bruno", phones: ["+5511912345678"] },
      ],
    }),
    m("V-8", 7, { type: "location", body: "Shop", media: { latitude: -22.9, longitude: -47.06, name: "Shop" }, live: true }),
    m("V-9", 8, { type: "unsupported", rawType: "eventMessage" }),
    m("V-10", 9, { body: "secret plan" }),
  ]);
  await ingestEvents(instance, [
    { kind: "edit", targetProviderMessageId: "V-2", body: "first words, corrected", timestamp: at(10) },
    { kind: "delete", targetProviderMessageId: "V-10", timestamp: at(11) },
  ]);
  const conversationId = (await db.select().from(messages).where(eq(messages.providerMessageId, "V-1")))[0]!.conversationId;
  const res = await org.client.get(`/inbox/${conversationId}`);
  expect(res.status).toBe(200);
  page = await res.text();
});

describe("message bubbles of the inbound types", () => {
  test("a reply links to the quoted message with its preview", async () => {
    const quoted = await idOf("V-2");
    expect(page).toContain(`<a class="quote" href="#msg-${quoted}" data-quoted-id="${quoted}"><span>first words, corrected</span></a>`);
  });

  test("a reaction shows on its target, not as a bubble of its own", async () => {
    const target = await idOf("V-2");
    const bubble = page.slice(page.indexOf(`id="msg-${target}"`));
    expect(bubble.slice(0, bubble.indexOf('<span class="meta">'))).toContain('<span class="reaction-chip">👍</span>');
    expect(page).not.toContain(`id="msg-${await idOf("V-4")}"`);
  });

  test("edited with earlier versions, deleted with the kept content folded away", () => {
    expect(page).toContain("edited · ");
    expect(page).toContain("<span>first words</span>");
    expect(page).toContain("Deleted for everyone");
    expect(page).toContain("Content kept for the audit trail");
    expect(page).toContain("secret plan");
  });

  test("button id, ad referral, poll, contact cards, live location and unsupported type", () => {
    expect(page).toContain("Button: btn_sales");
    expect(page).toContain("Came from an ad");
    expect(page).toContain('<span class="referral-headline">Spring Sale</span>');
    expect(page).toContain('href="https://fb.me/ad"');
    expect(page).toContain("<li>Monday</li>");
    expect(page).toContain("<li>Friday</li>");
    expect(page).toContain("👤 Ana");
    expect(page).toContain("+5511912345678");
    expect(page).toContain("https://www.openstreetmap.org/?mlat=-22.9&mlon=-47.06");
    expect(page).toContain("Unsupported message type (eventMessage)");
  });
});
