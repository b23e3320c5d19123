// A known dataset for report and gamification tests: conversations created through the sandbox, their
// cycles replaced by fixed ones (the triggers fill the rollup), NPS answers inserted as the survey would.
import { eq, sql } from "drizzle-orm";
import type { App } from "@/app";
import { db } from "@/db/client";
import { conversationCycles, departments, satisfactionFeedback } from "@/db/schema";
import { createMember, type setupOrg } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const at = (iso: string, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000);

export async function seedDataset(app: App, org: Awaited<ReturnType<typeof setupOrg>>, phonePrefix: string) {
  const organizationId = org.organization.id;
  const instanceId = await connectedSandbox(app, org.key);
  const agentA = await createMember(organizationId, "agent");
  const agentB = await createMember(organizationId, "agent");
  const [d1] = await db
    .insert(departments)
    .values({ organizationId, name: `Vendas ${phonePrefix}` })
    .returning();
  const [d2] = await db
    .insert(departments)
    .values({ organizationId, name: `Suporte ${phonePrefix}` })
    .returning();
  const convs: Awaited<ReturnType<typeof inbound>>[] = [];
  for (let i = 1; i <= 5; i++) convs.push(await inbound(app, org.key, instanceId, { from: `${phonePrefix}${i}`, text: "oi" }));
  await db.delete(conversationCycles).where(eq(conversationCycles.organizationId, organizationId));
  const cycle = (
    i: number,
    agent: string,
    department: string,
    start: string,
    firstResponse: [number, "human" | "bot"] | null,
    resolution: [number, "human" | "bot"] | null,
  ) => ({
    organizationId,
    conversationId: convs[i]!.conversationId,
    instanceId,
    agentUserId: agent,
    departmentId: department,
    day: sql<string>`report_zone_day(${organizationId}::uuid, ${start}::timestamptz)`,
    startedAt: at(start),
    firstResponseAt: firstResponse ? at(start, firstResponse[0]) : null,
    firstResponseBy: firstResponse?.[1] ?? null,
    humanReplied: firstResponse?.[1] === "human",
    resolvedAt: resolution ? at(start, resolution[0]) : null,
    resolvedBy: resolution?.[1] ?? null,
  });
  await db.insert(conversationCycles).values([
    cycle(0, agentA.id, d1!.id, "2026-03-10T12:00:00Z", [60, "human"], [600, "human"]),
    cycle(1, agentA.id, d1!.id, "2026-03-10T13:00:00Z", [120, "bot"], [300, "bot"]),
    // 02:00 UTC on the 11th is 23:00 on the 10th in São Paulo.
    cycle(2, agentA.id, d1!.id, "2026-03-11T02:00:00Z", [30, "human"], null),
    cycle(3, agentB.id, d2!.id, "2026-03-11T12:00:00Z", [240, "human"], [1200, "human"]),
    cycle(4, agentB.id, d2!.id, "2026-04-02T12:00:00Z", null, [100, "bot"]),
  ]);
  const answer = (i: number, agent: string, department: string, score: number, answeredAt: string) => ({
    organizationId,
    conversationId: convs[i]!.conversationId,
    contactId: convs[i]!.contactId,
    instanceId,
    agentUserId: agent,
    departmentId: department,
    state: "closed" as const,
    expiresAt: at(answeredAt, 86_400),
    npsScore: score,
    category: score >= 9 ? ("promoter" as const) : score >= 7 ? ("neutral" as const) : ("detractor" as const),
    answeredAt: at(answeredAt),
  });
  await db
    .insert(satisfactionFeedback)
    .values([answer(0, agentA.id, d1!.id, 9, "2026-03-10T15:00:00Z"), answer(3, agentB.id, d2!.id, 5, "2026-03-12T12:00:00Z")]);
  return { instanceId, agentA, agentB, d1: d1!, d2: d2! };
}
