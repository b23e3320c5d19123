import { and, asc, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contacts, instances, messages, outageNotifications, type Instance } from "@/db/schema";
import { createOwner, memberCaller } from "../helpers/factories";

/** Building the app configures providers and wires the features (as the server does). */
export const app = createApp();

let seq = 0;

export async function outageOrg() {
  const { user, organization } = await createOwner({ orgName: `Outages ${++seq}` });
  return { user, organization, owner: memberCaller(user.id, organization.id, "owner") };
}

export async function sendingNumber(organizationId: string): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({
      organizationId,
      name: `Number ${++seq}`,
      provider: "sandbox",
      status: "connected",
      waJid: `55219000000${String(seq).padStart(2, "0")}@s.whatsapp.net`,
      createdAt: new Date("2026-01-01T00:00:00Z"),
    })
    .returning();
  return row!;
}

let phoneSeq = 0;
/** A person with an address; `bairro` is the neighbourhood custom field. */
export async function person(
  organizationId: string,
  where: { city?: string; state?: string; zipCode?: string; bairro?: string; optedOut?: boolean; blocked?: boolean; name?: string; phone?: string },
) {
  const phone = where.phone ?? `+55219${String(80000000 + ++phoneSeq)}`;
  const [row] = await db
    .insert(contacts)
    .values({
      organizationId,
      phone,
      name: where.name ?? `Pessoa ${phoneSeq}`,
      city: where.city ?? null,
      state: where.state ?? null,
      zipCode: where.zipCode ?? null,
      customFields: where.bairro ? { bairro: where.bairro } : {},
      optedOut: where.optedOut ?? false,
      blocked: where.blocked ?? false,
    })
    .returning();
  return row!;
}

export async function notificationsOf(outageId: string, kind?: "notice" | "resolution") {
  return db
    .select()
    .from(outageNotifications)
    .where(and(eq(outageNotifications.outageId, outageId), kind ? eq(outageNotifications.kind, kind) : undefined))
    .orderBy(asc(outageNotifications.createdAt), asc(outageNotifications.id));
}

export async function outboundTo(contactId: string) {
  return db
    .select({ id: messages.id, body: messages.body, type: messages.type, createdAt: messages.createdAt, instanceId: messages.instanceId })
    .from(messages)
    .where(and(eq(messages.contactId, contactId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt), asc(messages.id));
}

export const declaration = (instanceIds: string[], overrides: Record<string, unknown> = {}) => ({
  title: "Queda de energia",
  description: "Rompimento de cabo",
  severity: "high",
  affected: { regionIds: [], custom: [{ city: "Teresópolis", neighborhoods: [] }] },
  estimatedResolutionAt: "2026-12-11T18:00:00Z",
  instanceIds,
  pacing: { perMinute: 2, jitterPercent: 50, dailyCap: 1000 },
  ...overrides,
});

/** A deterministic stand-in for Math.random (a linear congruential generator). */
export function seededRandom(seed = 42): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}
