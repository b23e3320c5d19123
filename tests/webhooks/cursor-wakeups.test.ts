/**
 * The running delivery worker's wake-ups (src/workers/delivery.worker.ts): a notification of new events
 * for an organization whose active endpoints all have their cursor running (lingering) in this process
 * costs no claim — those cursors were told directly —, while an endpoint that is not running there (just
 * created, or resumed) is claimed on the notification, not at the next poll. The poll is set far away
 * here, so only notifications and finished jobs can claim.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createApp } from "@/app";
import { config } from "@/config";
import { startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { nextOrgChange } from "@/db/org-cache";
import { recordEvent } from "@/features/events/event.service";
import { cursorJobs } from "@/features/webhooks/delivery.cursor";
import { deliverySettings } from "@/features/webhooks/delivery.queue";
import { deliveryWorker } from "@/workers/delivery.worker";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startSubscriber, waitFor } from "./subscriber";

const app = createApp();
const subscribers: ReturnType<typeof startSubscriber>[] = [];
const saved = { pollMs: deliverySettings.pollMs, lingerMs: deliverySettings.lingerMs };
const claim = cursorJobs.claim;
let claims = 0;
let org: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
  // Counts the loop's claims (the real claim runs).
  cursorJobs.claim = (limit) => {
    claims++;
    return claim(limit);
  };
  deliverySettings.pollMs = 60_000;
  deliverySettings.lingerMs = 10_000;
  // As a running process has them: the endpoint cache is kept and evicted by notification.
  await startCacheSync();
  await deliveryWorker.start();
});
afterAll(async () => {
  await deliveryWorker.stop();
  await stopCacheSync();
  cursorJobs.claim = claim;
  Object.assign(deliverySettings, saved);
  for (const sub of subscribers) sub.stop();
});

/** An endpoint with a subscriber of its own; `received()` lists the event ids it was sent, in order. */
async function endpoint() {
  const sub = startSubscriber();
  subscribers.push(sub);
  const changed = nextOrgChange("webhooks", org.organization.id);
  const res = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, eventTypes: ["conversation.assigned"] });
  expect(res.status).toBe(201);
  // Every process hears of the new endpoint (drizzle/0072) before the test goes on.
  await changed;
  return { id: res.body.id as string, received: () => sub.received.map((r) => r.id) };
}

const record = (n: number) => recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: { n } });

test("steady traffic to an endpoint whose cursor lingers here: every event is delivered, and no notification claims", async () => {
  const hook = await endpoint();
  const first = await record(0);
  await waitFor(() => hook.received().length === 1, 5000, "the first event (its notification claims the cursor)");
  expect(hook.received()).toEqual([first.id]);
  claims = 0;
  const next = [];
  for (let n = 1; n <= 5; n++) {
    next.push((await record(n)).id);
    await waitFor(() => hook.received().length === n + 1, 5000, `event ${n}`);
  }
  expect(hook.received()).toEqual([first.id, ...next]);
  expect(claims).toBe(0);
});

test("an endpoint created while another lingers is claimed on the next notification, not at the poll a minute later", async () => {
  const lingering = await endpoint();
  await record(10);
  await waitFor(() => lingering.received().length >= 1, 5000, "the lingering endpoint's event");
  const created = await endpoint();
  claims = 0;
  const event = await record(11);
  await waitFor(() => created.received().includes(event.id), 5000, "the new endpoint's first event");
  expect(claims).toBeGreaterThan(0);
});

test("a paused endpoint resumed while the others linger is claimed on the next notification", async () => {
  const paused = await endpoint();
  const paging = nextOrgChange("webhooks", org.organization.id);
  expect((await api(app, "PATCH", `/v1/webhooks/${paused.id}`, org.key, { active: false })).status).toBe(200);
  await paging;
  const other = await endpoint();
  const meanwhile = await record(20);
  await waitFor(() => other.received().includes(meanwhile.id), 5000, "the lingering endpoint's event");
  expect(paused.received()).toEqual([]);
  const resuming = nextOrgChange("webhooks", org.organization.id);
  expect((await api(app, "PATCH", `/v1/webhooks/${paused.id}`, org.key, { active: true })).status).toBe(200);
  await resuming;
  const event = await record(21);
  // Resumed, it delivers what was recorded while paused, then the new one.
  await waitFor(() => paused.received().includes(event.id), 5000, "the resumed endpoint's events");
  expect(paused.received()).toEqual([meanwhile.id, event.id]);
});
