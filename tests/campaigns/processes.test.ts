import { afterAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { campaignTargets, messages } from "@/db/schema";
import { waitFor } from "../helpers/wait";
import { baseCampaign, campaignOrg, phonesCsv, runningCampaign, sendingNumber, sendsOf } from "./helpers";

const ROOT = resolve(import.meta.dir, "../..");
const FIXTURE = resolve(import.meta.dir, "fixtures/dispatch-process.ts");
const children: Bun.Subprocess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

const ALWAYS = { weekdays: [0, 1, 2, 3, 4, 5, 6], start: "00:00", end: "23:59" };

/** A separate `bun` process dispatching campaigns on this test's database. */
async function spawnDispatcher() {
  const child = Bun.spawn(["bun", FIXTURE], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: "error" }, stdout: "pipe", stderr: "inherit" });
  children.push(child);
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("dispatcher exited before ready");
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return child;
}

async function campaignMessages(organizationId: string) {
  return db
    .select({ id: messages.id, contactId: messages.contactId })
    .from(messages)
    .where(and(eq(messages.organizationId, organizationId), eq(messages.sentBy, "campaign")));
}

test("kill -9 in the middle of a campaign: after a restart every target is queued exactly once (no duplicate, none skipped)", async () => {
  const now = new Date();
  const { organization, owner } = await campaignOrg();
  const a = await sendingNumber(organization.id, 30, now);
  const b = await sendingNumber(organization.id, 30, now);
  const campaign = await runningCampaign(
    owner,
    baseCampaign([a.id, b.id], phonesCsv(16, 800), {
      activeHours: ALWAYS,
      pacing: { perMinute: 60, jitterPercent: 0, dailyCap: 1000, warmupDays: 0, warmupStartPerDay: 1 },
    }),
    now,
  );
  const first = await spawnDispatcher();
  await waitFor(async () => (await sendsOf(campaign.id)).length >= 4, { timeoutMs: 20_000, what: "first sends" });
  first.kill("SIGKILL");
  await first.exited;
  const before = (await sendsOf(campaign.id)).length;
  expect(before).toBeLessThan(16);

  const second = await spawnDispatcher();
  await waitFor(async () => (await sendsOf(campaign.id)).length >= 16, { timeoutMs: 30_000, what: "every target sent" });
  second.kill("SIGKILL");
  await second.exited;

  const sends = await sendsOf(campaign.id);
  expect(sends).toHaveLength(16);
  expect(new Set(sends.map((s) => s.targetId)).size).toBe(16);
  expect(sends.every((s) => s.attempt === 1)).toBe(true);
  // The outbound queue holds exactly one message per target: a crash left no message without its send row.
  const queued = await campaignMessages(organization.id);
  expect(queued).toHaveLength(16);
  expect(new Set(queued.map((m) => m.contactId)).size).toBe(16);
  const targets = await db.select().from(campaignTargets).where(eq(campaignTargets.campaignId, campaign.id));
  expect(targets.every((t) => t.state === "sending" && t.messageId !== null)).toBe(true);
}, 90_000);

test("two processes share one campaign without exceeding its pace: one number at 60/min never sends twice within a second", async () => {
  const now = new Date();
  const { organization, owner } = await campaignOrg();
  const number = await sendingNumber(organization.id, 30, now);
  const campaign = await runningCampaign(
    owner,
    baseCampaign([number.id], phonesCsv(10, 900), {
      activeHours: ALWAYS,
      pacing: { perMinute: 60, jitterPercent: 0, dailyCap: 1000, warmupDays: 0, warmupStartPerDay: 1 },
    }),
    now,
  );
  const [p1, p2] = await Promise.all([spawnDispatcher(), spawnDispatcher()]);
  await waitFor(async () => (await sendsOf(campaign.id)).length >= 10, { timeoutMs: 40_000, what: "every target sent" });
  p1!.kill("SIGKILL");
  p2!.kill("SIGKILL");
  const sends = (await sendsOf(campaign.id)).sort((x, y) => x.sentAt.getTime() - y.sentAt.getTime());
  expect(sends).toHaveLength(10);
  for (let i = 1; i < sends.length; i++) expect(sends[i]!.sentAt.getTime() - sends[i - 1]!.sentAt.getTime()).toBeGreaterThanOrEqual(1000);
  expect(await campaignMessages(organization.id)).toHaveLength(10);
}, 90_000);
