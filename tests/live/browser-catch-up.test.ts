import { expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import type { Page, Route } from "playwright-core";
import { db } from "@/db/client";
import { conversations } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { connectedSandbox, inbound } from "../conversations/helpers";
import { useBrowser } from "../helpers/browser";
import { setOwnAvailability } from "@/features/availability/availability.service";
import { createOwner, memberCaller } from "../helpers/factories";
import { liveUpdatesArrived } from "../helpers/sse";

/**
 * The live pages in a browser, with their stream held back after the page rendered: a change made in
 * that window reaches the page through the stream's catch-up frame, with no reload and no later change.
 * Without the catch-up, nothing would ever show it.
 */

const { server, newContext } = await useBrowser();

/** Holds the page's stream request (`pattern`) until `release()`; `requested` resolves once the page asked for it. */
async function holdStream(page: Page, pattern: RegExp) {
  const requested = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  await page.route(pattern, async (route: Route) => {
    requested.resolve();
    await released.promise;
    await route.continue();
  });
  return { requested: requested.promise, release: () => released.resolve() };
}

/** An organization with a connected sandbox instance; `write`: a contact writes, and the server (this process) has heard of it. */
async function organizationWithSandbox(orgName: string) {
  const { user, organization } = await createOwner({ orgName });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "catch-up", scopes: ["*"] });
  const instanceId = await connectedSandbox(server.app, key);
  const write = async (from: string, text: string) => {
    const sent = await inbound(server.app, key, instanceId, { from, text });
    await liveUpdatesArrived();
    return sent;
  };
  return { as: { userId: user.id, organizationId: organization.id }, write };
}

test("inbox: a conversation that arrived while the page's stream connected shows, and its unread badge counts it", async () => {
  const org = await organizationWithSandbox("Catch-up inbox");
  const page = await (await newContext({ width: 1280, as: org.as })).newPage();
  const stream = await holdStream(page, /\/inbox\/stream\?since=\d+$/);
  await page.goto(`${server.url}/inbox`);
  await stream.requested;

  const sent = await org.write("+5511966665555", "Escrevi enquanto a página abria");
  stream.release();

  const item = page.locator(`#conv-${sent.conversationId}`);
  await item.waitFor({ timeout: 15_000 });
  expect(await item.textContent()).toContain("Escrevi enquanto a página abria");
  await page.locator("#inbox[data-connected='1']").waitFor();
});

test("an open conversation: its new message shows in the conversation", async () => {
  const org = await organizationWithSandbox("Catch-up conversation");
  const first = await org.write("+5511966664444", "Primeira");
  const page = await (await newContext({ width: 1280, as: org.as })).newPage();
  const stream = await holdStream(page, /\/inbox\/stream\?since=\d+$/);
  await page.goto(`${server.url}/inbox/${first.conversationId}`);
  await stream.requested;

  const second = await org.write("+5511966664444", "Segunda, no meio da conexão");
  stream.release();

  await page.locator(`#msg-${second.messageId}`).waitFor({ timeout: 15_000 });
  expect(await page.locator("#messages").textContent()).toContain("Segunda, no meio da conexão");
});

test("events page: an event recorded while its live tail connected is on top of the table", async () => {
  const org = await organizationWithSandbox("Catch-up events");
  const page = await (await newContext({ width: 1280, as: org.as })).newPage();
  const stream = await holdStream(page, /\/events\/stream\?(.*&)?since=\d+/);
  await page.goto(`${server.url}/events?type=message.received`);
  await stream.requested;

  const sent = await org.write("+5511966663333", "Evento no meio");
  stream.release();

  const first = page.locator("#event-rows tr").first();
  await page.locator("#event-rows tr.event-new").first().waitFor({ timeout: 15_000 });
  expect(await first.textContent()).toContain(sent.messageId);
  expect(await first.textContent()).toContain("message.received");
});

test("availability: a status changed while the stream connected shows on the switch and the team table", async () => {
  const { user, organization } = await createOwner({ orgName: "Catch-up availability" });
  const page = await (await newContext({ width: 1280, as: { userId: user.id, organizationId: organization.id } })).newPage();
  const stream = await holdStream(page, /\/availability\/stream\?since=\d+$/);
  await page.goto(`${server.url}/availability`);
  await stream.requested;
  expect(await page.locator(`#team-availability [data-availability-user="${user.id}"]`).getAttribute("data-status")).toBe("offline");

  // Changed elsewhere (another tab, the API) after both were read: its live update went to nobody.
  await setOwnAvailability(memberCaller(user.id, organization.id, "owner"), "online");
  await liveUpdatesArrived();
  stream.release();

  await page.locator(`#team-availability [data-availability-user="${user.id}"][data-status="online"]`).waitFor({ timeout: 15_000 });
  expect(await page.locator("#availability-control select").inputValue()).toBe("online");
});

test("inbox: when the server's database listener comes back after a drop, the open page catches up", async () => {
  const org = await organizationWithSandbox("Catch-up reconnect");
  const sent = await org.write("+5511966662222", "Antes da queda");
  const page = await (await newContext({ width: 1280, as: org.as })).newPage();
  await page.goto(`${server.url}/inbox`);
  await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });
  // A change whose live update never came (as if published while the listener was down).
  await db.update(conversations).set({ lastMessagePreview: "Mudou sem aviso" }).where(eq(conversations.id, sent.conversationId));
  await db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`);
  await page.locator(`#conv-${sent.conversationId}`, { hasText: "Mudou sem aviso" }).waitFor({ timeout: 15_000 });
});
