// Reports' raw data: conversation cycles kept by triggers (first response set once per cycle, resolution
// bot vs human, reopen, a survey answer that does not reopen) and the daily rollup always equal to a
// rebuild from the raw rows.
import { beforeAll, describe, expect, test } from "bun:test";
import { asc, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { db, rowsOf } from "@/db/client";
import { conversationCycles, conversations, reportDaily } from "@/db/schema";
import { rebuildRollup } from "@/features/reports/reports.service";
import { api } from "../helpers/client";
import { createMember, setupOrg } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let agentId: string;

const cyclesOf = (conversationId: string) =>
  db.select().from(conversationCycles).where(eq(conversationCycles.conversationId, conversationId)).orderBy(asc(conversationCycles.startedAt));

/** The rollup rows of the organization, in a stable order, without zero rows. */
async function rollup(organizationId: string) {
  const rows = await db.select().from(reportDaily).where(eq(reportDaily.organizationId, organizationId));
  return rows
    .filter((r) => r.conversations !== 0 || r.npsAnswers !== 0 || r.resolved !== 0 || r.firstResponses !== 0)
    .map((r) => ({ ...r, firstResponseSeconds: Math.round(r.firstResponseSeconds * 1000), resolutionSeconds: Math.round(r.resolutionSeconds * 1000) }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function expectRollupMatchesRebuild(organizationId: string) {
  const live = await rollup(organizationId);
  await rebuildRollup(organizationId);
  expect(live).toEqual(await rollup(organizationId));
  return live;
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Reports raw" });
  instanceId = await connectedSandbox(app, org.key);
  agentId = (await createMember(org.organization.id, "agent")).id;
});

describe("conversation cycles", () => {
  test("the contact's message opens a cycle; the first reply is its first response, set once; a human reply makes it human-resolved", async () => {
    const conv = await inbound(app, org.key, instanceId, { from: "+5511933330001", text: "oi" });
    let [cycle] = await cyclesOf(conv.conversationId);
    expect(cycle).toMatchObject({ organizationId: org.organization.id, instanceId, firstResponseAt: null, resolvedAt: null, humanReplied: false });

    await inbound(app, org.key, instanceId, { from: "+5511933330001", text: "alguém?" });
    expect(await cyclesOf(conv.conversationId)).toHaveLength(1);

    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/assign`, org.key, { userId: agentId })).status).toBe(200);
    expect((await api(app, "POST", "/v1/messages", org.key, { instanceId, to: "+5511933330001", type: "text", text: "Olá!" })).status).toBe(202);
    [cycle] = await cyclesOf(conv.conversationId);
    expect(cycle).toMatchObject({ firstResponseBy: "human", humanReplied: true, agentUserId: agentId });
    const first = cycle!.firstResponseAt;
    expect(first).not.toBeNull();
    expect((await api(app, "POST", "/v1/messages", org.key, { instanceId, to: "+5511933330001", type: "text", text: "Mais algo?" })).status).toBe(202);
    expect((await cyclesOf(conv.conversationId))[0]!.firstResponseAt).toEqual(first);

    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key)).status).toBe(200);
    [cycle] = await cyclesOf(conv.conversationId);
    expect(cycle).toMatchObject({ resolvedBy: "human", agentUserId: agentId });
    expect(cycle!.resolvedAt).not.toBeNull();

    const rows = await expectRollupMatchesRebuild(org.organization.id);
    expect(rows).toContainEqual(
      expect.objectContaining({ agentUserId: agentId, instanceId, conversations: 1, firstResponses: 1, resolved: 1, humanResolved: 1, botResolved: 0 }),
    );
  });

  test("a new message after resolution reopens: a second cycle; resolved without a person it is bot-resolved", async () => {
    const conv = await inbound(app, org.key, instanceId, { from: "+5511933330002", text: "oi" });
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key)).status).toBe(200);
    expect((await cyclesOf(conv.conversationId))[0]).toMatchObject({ resolvedBy: "bot", firstResponseAt: null });

    await inbound(app, org.key, instanceId, { from: "+5511933330002", text: "voltei" });
    const cycles = await cyclesOf(conv.conversationId);
    expect(cycles).toHaveLength(2);
    expect(cycles[1]).toMatchObject({ resolvedAt: null });
    await expectRollupMatchesRebuild(org.organization.id);

    // A resolution dated before the open cycle began puts back a reopening (what a survey answer does): that cycle goes.
    await db.update(conversations).set({ status: "resolved", resolvedAt: cycles[0]!.resolvedAt }).where(eq(conversations.id, conv.conversationId));
    expect(await cyclesOf(conv.conversationId)).toHaveLength(1);
    await expectRollupMatchesRebuild(org.organization.id);

    // Reopened by hand (hand-off to a person) and resolved again: a second cycle, human-resolved.
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/handoff`, org.key, { to: "human" })).status).toBe(200);
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key)).status).toBe(200);
    const after = await cyclesOf(conv.conversationId);
    expect(after.map((c) => c.resolvedBy)).toEqual(["bot", "human"]);
    await expectRollupMatchesRebuild(org.organization.id);
  });

  test("deleting a conversation takes its cycles out of the rollup; deleting the organization cascades cleanly", async () => {
    const conv = await inbound(app, org.key, instanceId, { from: "+5511933330003", text: "oi" });
    const counted = async () =>
      rowsOf<{ n: number }>(
        await db.execute(sql`select coalesce(sum(conversations), 0)::int as n from report_daily where organization_id = ${org.organization.id}`),
      )[0]!.n;
    const before = await counted();
    await db.delete(conversations).where(eq(conversations.id, conv.conversationId));
    expect(await counted()).toBe(before - 1);
    await expectRollupMatchesRebuild(org.organization.id);

    const doomed = await setupOrg(app, { orgName: "Doomed" });
    const inst = await connectedSandbox(app, doomed.key);
    await inbound(app, doomed.key, inst, { from: "+5511933330004", text: "oi" });
    await db.execute(sql`delete from organizations where id = ${doomed.organization.id}`);
    expect(await rollup(doomed.organization.id)).toEqual([]);
  });
});
