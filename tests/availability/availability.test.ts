import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq, inArray, ne } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { agentAvailability, auditLogs, conversationActivities, conversations, departmentMembers, departments, events, memberships } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import {
  autoAssign,
  markInactiveAway,
  noteActivity,
  organizationsWithWaitingConversations,
  setOwnAvailability,
} from "@/features/availability/availability.service";
import { transferConversation } from "@/features/conversations/routing";
import { subscribeLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { api } from "../helpers/client";
import { createMember, memberCaller, setupOrg, signIn } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let phone = 5511933330000;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Avail A" });
  other = await setupOrg(app, { orgName: "Avail B" });
  instanceId = await connectedSandbox(app, org.key);
});

const orgId = () => org.organization.id;

async function department(name: string, memberIds: string[], opts: { autoAssign?: boolean; defaultCapacity?: number } = {}) {
  const [row] = await db.insert(departments).values({ organizationId: orgId(), name }).returning();
  if (memberIds.length) await db.insert(departmentMembers).values(memberIds.map((userId) => ({ departmentId: row!.id, userId, organizationId: orgId() })));
  if (opts.autoAssign !== undefined) {
    const res = await api(app, "PUT", `/v1/departments/${row!.id}/assignment`, org.key, {
      autoAssign: opts.autoAssign,
      defaultCapacity: opts.defaultCapacity ?? 5,
    });
    expect(res.status).toBe(200);
  }
  return row!.id;
}

/** A contact writes; the conversation is put in `departmentId` (as the greeting menu would) without triggering anything. */
async function waitingConversation(departmentId: string | null): Promise<string> {
  const { conversationId } = await inbound(app, org.key, instanceId, { from: `+${++phone}`, text: "preciso de ajuda" });
  await db.update(conversations).set({ departmentId }).where(eq(conversations.id, conversationId));
  return conversationId;
}

async function assigneeOf(conversationId: string): Promise<string | null> {
  const [row] = await db.select({ userId: conversations.assignedUserId }).from(conversations).where(eq(conversations.id, conversationId));
  return row!.userId;
}

async function online(...userIds: string[]) {
  for (const id of userIds) await setOwnAvailability(memberCaller(id, orgId(), "agent"), "online");
}

describe("availability", () => {
  test("a member sets their own status from the header; the change is audited and published live", async () => {
    const agent = await createMember(orgId(), "agent");
    const client = await signIn(app, agent.id, orgId());
    const control = await client.get("/availability/control");
    expect(control.status).toBe(200);
    expect(await control.text()).toContain('value="offline" selected');
    const updates: Record<string, unknown>[] = [];
    const unsubscribe = await subscribeLive(liveTopics.orgAvailability(orgId()), (data) => {
      updates.push(data);
    });
    const set = await client.postForm("/availability/status", { status: "online" }, { htmx: true });
    expect(set.status).toBe(200);
    expect(await set.text()).toContain('value="online" selected');
    await waitFor(() => updates.some((u) => u.userId === agent.id && u.status === "online"), { what: "the live update" });
    unsubscribe();
    expect((await client.postForm("/availability/status", { status: "busy" }, { htmx: true })).status).toBe(422);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, orgId()), eq(auditLogs.action, "availability.changed"), eq(auditLogs.actorId, agent.id)));
    expect(audit!.details).toEqual({ from: "offline", to: "online" });
    // Agents use the switch but do not see the team page.
    expect((await client.get("/availability")).status).toBe(403);
    expect((await client.postForm("/availability/heartbeat", {})).status).toBe(204);
  });

  test("/v1/availability/me acts for the member who created the key; the team list shows status and load", async () => {
    const agent = await createMember(orgId(), "agent");
    const { secret } = await createApiKey({ organizationId: orgId(), name: "agent key", scopes: ["*"], createdByUserId: agent.id });
    expect((await api(app, "GET", "/v1/availability/me", secret)).body).toMatchObject({ userId: agent.id, status: "offline" });
    const put = await api(app, "PUT", "/v1/availability/me", secret, { status: "away" });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ userId: agent.id, status: "away" });
    expect((await api(app, "PUT", "/v1/availability/me", secret, { status: "lunch" })).status).toBe(422);
    // The org's setup key has no creator: it has no "own" availability.
    expect((await api(app, "GET", "/v1/availability/me", org.key)).status).toBe(403);
    const team = await api(app, "GET", "/v1/availability", org.key);
    expect(team.body.data.find((m: any) => m.userId === agent.id)).toMatchObject({ status: "away", openConversations: 0, capacity: null });
    expect(team.body.data.find((m: any) => m.userId === org.user.id)).toMatchObject({ status: "offline" });
    // Supervisors see the page with everyone's status.
    const page = await org.client.get("/availability");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-availability-user="${agent.id}" data-status="away"`);
  });

  test("inactivity turns online members away after the organization's limit (controllable clock); activity resets it", async () => {
    const a = await createMember(orgId(), "agent");
    const b = await createMember(orgId(), "agent");
    await online(a.id, b.id);
    const t0 = new Date();
    // b does something 10 minutes later.
    await noteActivity(orgId(), b.id, new Date(t0.getTime() + 10 * 60_000));
    // 16 minutes: a has been idle past the default 15, b only 6.
    expect(await markInactiveAway(new Date(t0.getTime() + 16 * 60_000))).toBeGreaterThanOrEqual(1);
    const status = async (id: string) =>
      (
        await db
          .select()
          .from(agentAvailability)
          .where(and(eq(agentAvailability.organizationId, orgId()), eq(agentAvailability.userId, id)))
      )[0]!.status;
    expect(await status(a.id)).toBe("away");
    expect(await status(b.id)).toBe("online");
    // A longer limit: b stays online at 26 minutes (16 idle), turns away at 41 (31 idle).
    expect((await api(app, "PUT", "/v1/availability/settings", org.key, { awayAfterMinutes: 30 })).body).toEqual({ awayAfterMinutes: 30 });
    await markInactiveAway(new Date(t0.getTime() + 26 * 60_000));
    expect(await status(b.id)).toBe("online");
    await markInactiveAway(new Date(t0.getTime() + 41 * 60_000));
    expect(await status(b.id)).toBe("away");
    expect((await api(app, "PUT", "/v1/availability/settings", org.key, { awayAfterMinutes: 0 })).status).toBe(422);
    await api(app, "PUT", "/v1/availability/settings", org.key, { awayAfterMinutes: 15 });
  });

  test("signing out turns the member offline", async () => {
    const agent = await createMember(orgId(), "agent");
    await online(agent.id);
    const client = await signIn(app, agent.id, orgId());
    expect((await client.postForm("/logout", {})).status).toBeLessThan(400);
    const [row] = await db
      .select()
      .from(agentAvailability)
      .where(and(eq(agentAvailability.organizationId, orgId()), eq(agentAvailability.userId, agent.id)));
    expect(row!.status).toBe("offline");
  });
});

describe("auto-assignment", () => {
  test("round-robin among the department's online members in arrival order; away members and other departments get none", async () => {
    const [a, b, c, away, outsider] = await Promise.all([1, 2, 3, 4, 5].map(() => createMember(orgId(), "agent")));
    const support = await department("Suporte RR", [a!.id, b!.id, c!.id, away!.id], { autoAssign: true, defaultCapacity: 5 });
    await department("Outro RR", [outsider!.id], { autoAssign: false });
    await online(a!.id, b!.id, c!.id, outsider!.id);
    await setOwnAvailability(memberCaller(away!.id, orgId(), "agent"), "away");
    const waiting: string[] = [];
    for (let i = 0; i < 6; i++) waiting.push(await waitingConversation(support));
    // Put in the department without a trigger: the periodic worker's safety net finds the organization.
    expect(await organizationsWithWaitingConversations()).toContain(orgId());
    expect(await organizationsWithWaitingConversations()).not.toContain(other.organization.id);
    const assigned = await autoAssign(orgId());
    expect(assigned.map((x) => x.conversationId)).toEqual(waiting);
    const order = assigned.map((x) => x.userId);
    // Each of the three online members once per round, the same rotation both rounds.
    expect(new Set(order.slice(0, 3))).toEqual(new Set([a!.id, b!.id, c!.id]));
    expect(order.slice(3)).toEqual(order.slice(0, 3));
    // The next conversation goes to whoever was assigned longest ago: the first of the rotation.
    const seventh = await waitingConversation(support);
    await autoAssign(orgId());
    expect(await assigneeOf(seventh)).toBe(order[0]!);
    // Recorded as an activity line, an audit row and a conversation.assigned event.
    expect(order).not.toContain(away!.id);
    expect(order).not.toContain(outsider!.id);
    const [activity] = await db.select().from(conversationActivities).where(eq(conversationActivities.conversationId, seventh));
    expect(activity).toMatchObject({ kind: "assigned", actorType: "system" });
    expect(activity!.details).toMatchObject({ toUserId: order[0], toUserName: "Test agent", toDepartmentName: "Suporte RR", automatic: true });
    const assignedEvents = await db
      .select({ data: events.data })
      .from(events)
      .where(and(eq(events.organizationId, orgId()), eq(events.type, "conversation.assigned")));
    expect(assignedEvents.some((e) => (e.data as any).conversation.id === seventh && (e.data as any).automatic === true)).toBe(true);
  });

  test("capacity is respected even when several runs race; a resolution frees capacity and the next waiting conversation is assigned", async () => {
    const [a, b] = await Promise.all([1, 2].map(() => createMember(orgId(), "agent")));
    const queue = await department("Fila capacidade", [a!.id, b!.id], { autoAssign: true, defaultCapacity: 2 });
    // b has a capacity of their own.
    const [bMembership] = await db
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.organizationId, orgId()), eq(memberships.userId, b!.id)));
    expect((await api(app, "PUT", `/v1/members/${bMembership!.id}/capacity`, org.key, { capacity: 3 })).status).toBe(200);
    const waiting: string[] = [];
    for (let i = 0; i < 8; i++) waiting.push(await waitingConversation(queue));
    // Online without the switch's own run, so that all the assigning happens in the race below.
    await db
      .update(agentAvailability)
      .set({ status: "online" })
      .where(and(eq(agentAvailability.organizationId, orgId()), inArray(agentAvailability.userId, [a!.id, b!.id])));
    await db.insert(agentAvailability).values({ organizationId: orgId(), userId: a!.id, status: "online" }).onConflictDoNothing();
    // Five runs at once (as five processes would): the advisory lock serializes them.
    const runs = await Promise.all([1, 2, 3, 4, 5].map(() => autoAssign(orgId())));
    expect(runs.flat()).toHaveLength(5);
    const load = async (userId: string) =>
      (
        await db
          .select({ id: conversations.id })
          .from(conversations)
          .where(and(eq(conversations.assignedUserId, userId), ne(conversations.status, "resolved")))
      ).length;
    expect(await load(a!.id)).toBe(2);
    expect(await load(b!.id)).toBe(3);
    const stillWaiting = waiting.slice(5);
    for (const id of stillWaiting) expect(await assigneeOf(id)).toBeNull();
    // The first five in arrival order were given out.
    for (const id of waiting.slice(0, 5)) expect(await assigneeOf(id)).not.toBeNull();

    // a resolves one: the oldest waiting conversation goes to a.
    const ofA = (await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.assignedUserId, a!.id)))[0]!.id;
    expect((await api(app, "POST", `/v1/conversations/${ofA}/resolve`, org.key)).status).toBe(200);
    await waitFor(async () => (await assigneeOf(stillWaiting[0]!)) === a!.id, { what: "the freed capacity to be used" });
    expect(await load(a!.id)).toBe(2);

    // Manual assignment stays possible beyond capacity.
    const manual = await api(app, "POST", `/v1/conversations/${stillWaiting[1]}/assign`, org.key, { userId: a!.id });
    expect(manual.status).toBe(200);
    expect(await load(a!.id)).toBe(3);
  });

  test("an agent coming online receives what waits; a transfer or a hand-off into the department assigns at once", async () => {
    const agent = await createMember(orgId(), "agent");
    const sales = await department("Vendas AA", [agent.id], { autoAssign: true, defaultCapacity: 5 });
    const first = await waitingConversation(sales);
    await autoAssign(orgId());
    expect(await assigneeOf(first)).toBeNull();
    await online(agent.id);
    expect(await assigneeOf(first)).toBe(agent.id);
    // Transferred from no department into Vendas by a supervisor: queued, then auto-assigned.
    const second = await waitingConversation(null);
    await transferConversation(memberCaller(org.user.id, orgId(), "owner"), second, { departmentId: sales, reason: "quer comprar" });
    await waitFor(async () => (await assigneeOf(second)) === agent.id, { what: "the transferred conversation's assignment" });
    // A hand-off to the department by name (the AI tool's way, POST /assign with a department): assigned at once too.
    const third = await waitingConversation(null);
    expect((await api(app, "POST", `/v1/conversations/${third}/assign`, org.key, { department: "Vendas AA" })).status).toBe(200);
    expect(await assigneeOf(third)).toBe(agent.id);
  });

  test("settings: isolation (another organization's ids are 404), roles, validation", async () => {
    const [otherDepartment] = await db.insert(departments).values({ organizationId: other.organization.id, name: "Alheio" }).returning();
    const [otherMembership] = await db.select({ id: memberships.id }).from(memberships).where(eq(memberships.organizationId, other.organization.id));
    expect((await api(app, "GET", `/v1/departments/${otherDepartment!.id}/assignment`, org.key)).status).toBe(404);
    expect((await api(app, "PUT", `/v1/departments/${otherDepartment!.id}/assignment`, org.key, { autoAssign: true, defaultCapacity: 1 })).status).toBe(404);
    expect((await api(app, "PUT", `/v1/members/${otherMembership!.id}/capacity`, org.key, { capacity: 1 })).status).toBe(404);
    expect((await api(app, "PUT", "/v1/members/nope/capacity", org.key, { capacity: 1 })).status).toBe(404);
    const own = await department("Validação", []);
    const bad = await api(app, "PUT", `/v1/departments/${own}/assignment`, org.key, { autoAssign: true, defaultCapacity: -1 });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain("defaultCapacity");
    expect((await api(app, "GET", `/v1/departments/${own}/assignment`, org.key)).body).toEqual({ departmentId: own, autoAssign: false, defaultCapacity: 5 });
    // Agents change neither capacities nor departments' auto-assignment (pages 403).
    const agent = await createMember(orgId(), "agent");
    const client = await signIn(app, agent.id, orgId());
    expect((await client.postForm(`/departments/${own}/assignment`, { autoAssign: "true", defaultCapacity: "3" })).status).toBe(403);
    expect((await client.postForm("/availability/settings", { awayAfterMinutes: "3" })).status).toBe(403);
    // A supervisor's form posts work and re-render.
    const saved = await org.client.postForm(`/departments/${own}/assignment`, { autoAssign: "true", defaultCapacity: "3" }, { htmx: true });
    expect(saved.status).toBe(200);
    expect((await api(app, "GET", `/v1/departments/${own}/assignment`, org.key)).body).toMatchObject({ autoAssign: true, defaultCapacity: 3 });
    const invalid = await org.client.postForm(`/departments/${own}/assignment`, { defaultCapacity: "many" }, { htmx: true });
    expect(invalid.status).toBe(422);
    // No conversations of another organization were touched by any run.
    const foreign = await db
      .select({ id: conversations.id })
      .from(conversations)
      .where(and(eq(conversations.organizationId, other.organization.id), inArray(conversations.status, ["open"])));
    for (const c of foreign) expect(await assigneeOf(c.id)).toBeNull();
  });
});
