import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { campaignSends, campaignTargets, instances, type Instance } from "@/db/schema";
import { createCampaign, startCampaign } from "@/features/campaigns/campaign.service";
import { createOwner, memberCaller } from "../helpers/factories";

/** Building the app configures providers and wires the features (as the server does). */
export const app = createApp();

let seq = 0;

/** An organization (zone America/Sao_Paulo) with its owner as a caller. */
export async function campaignOrg() {
  const { user, organization } = await createOwner({ orgName: `Campaigns ${++seq}` });
  return { organization, owner: memberCaller(user.id, organization.id, "owner") };
}

/** A connected sandbox number, `ageDays` old (its age drives the warm-up ramp). */
export async function sendingNumber(organizationId: string, ageDays: number, now: Date): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({
      organizationId,
      name: `Number ${++seq}`,
      provider: "sandbox",
      status: "connected",
      waJid: `55119000000${String(seq).padStart(2, "0")}@s.whatsapp.net`,
      createdAt: new Date(now.getTime() - ageDays * 86_400_000),
    })
    .returning();
  return row!;
}

/** A CSV of `n` distinct phones with a `nome` column. */
export function phonesCsv(n: number, offset = 0): string {
  const lines = ["telefone,nome,plano"];
  for (let i = 0; i < n; i++) lines.push(`+55 11 9${String(70000000 + offset + i)},Pessoa ${offset + i},Plano ${i % 3}`);
  return lines.join("\n");
}

export const baseCampaign = (instanceIds: string[], csv: string, overrides: Record<string, unknown> = {}) => ({
  name: "Black Friday",
  audience: { source: "csv", csv },
  message: { body: "Oi {{nome}}, A {{plano}}", variants: ["Olá {{nome}}, B {{plano}}", "E aí {{nome}}, C {{plano}}"], rotation: "sequential" },
  instanceIds,
  activeHours: { weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "10:00" },
  pacing: { perMinute: 2, jitterPercent: 50, dailyCap: 8, warmupDays: 0, warmupStartPerDay: 1 },
  maxAttempts: 1,
  attemptSpacingMinutes: 30,
  stopOnReply: true,
  ...overrides,
});

export async function runningCampaign(owner: ReturnType<typeof memberCaller>, values: Record<string, unknown>, now: Date) {
  const campaign = await createCampaign(owner, values);
  return startCampaign(owner, campaign.id, now);
}

export async function sendsOf(campaignId: string) {
  return db
    .select({
      targetId: campaignSends.targetId,
      attempt: campaignSends.attempt,
      instanceId: campaignSends.instanceId,
      sentAt: campaignSends.sentAt,
      messageId: campaignSends.messageId,
    })
    .from(campaignSends)
    .innerJoin(campaignTargets, eq(campaignTargets.id, campaignSends.targetId))
    .where(eq(campaignTargets.campaignId, campaignId));
}

/** A deterministic stand-in for Math.random (a linear congruential generator). */
export function seededRandom(seed = 42): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}
