import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contacts } from "@/db/schema";
import { countSegment, createSegment, resolveSegmentContactIds, updateSegment } from "@/features/segments/segment.service";
import { createFieldDefinition } from "@/features/contacts/contact-field.service";
import { createMember, memberCaller, setupOrg } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
const owner = () => memberCaller(org.user.id, org.organization.id, "owner");

async function seedContacts(organizationId: string, rows: Partial<typeof contacts.$inferInsert>[]) {
  return db
    .insert(contacts)
    .values(rows.map((r, i) => ({ organizationId, phone: `+55119${String(70000000 + i + Math.floor(Math.random() * 1e6)).padStart(8, "0")}`, ...r })))
    .returning();
}

async function allIds(orgId: string, segmentId: string, pageSize = 1000) {
  const ids: string[] = [];
  for await (const page of resolveSegmentContactIds(orgId, segmentId, { pageSize })) {
    expect(page.length).toBeLessThanOrEqual(pageSize);
    ids.push(...page);
  }
  return ids;
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Segments A" });
  other = await setupOrg(app, { orgName: "Segments B" });
});

describe("resolveSegmentContactIds", () => {
  test("pages through exactly the filtered contacts, leaving out opted-out and blocked ones", async () => {
    await createFieldDefinition(owner(), { key: "plano", label: "Plano", type: "text" });
    const old = new Date("2026-01-01T00:00:00Z");
    const recent = new Date("2026-11-01T00:00:00Z");
    const wanted = await seedContacts(org.organization.id, [
      ...Array.from({ length: 7 }, () => ({ city: "Campinas", state: "SP", tags: ["vip"], customFields: { plano: "ouro" }, lastInteractionAt: recent })),
    ]);
    await seedContacts(org.organization.id, [
      { city: "Campinas", state: "SP", tags: ["vip"], customFields: { plano: "ouro" }, lastInteractionAt: recent, optedOut: true },
      { city: "Campinas", state: "SP", tags: ["vip"], customFields: { plano: "ouro" }, lastInteractionAt: recent, blocked: true },
      { city: "Campinas", state: "SP", tags: ["vip"], customFields: { plano: "prata" }, lastInteractionAt: recent },
      { city: "Campinas", state: "SP", tags: ["lead"], customFields: { plano: "ouro" }, lastInteractionAt: recent },
      { city: "Campinas", state: "SP", tags: ["vip"], customFields: { plano: "ouro" }, lastInteractionAt: old },
      { city: "Santos", state: "SP", tags: ["vip"], customFields: { plano: "ouro" }, lastInteractionAt: recent },
    ]);
    await seedContacts(other.organization.id, [{ city: "Campinas", state: "SP", tags: ["vip"], customFields: { plano: "ouro" }, lastInteractionAt: recent }]);

    const segment = await createSegment(owner(), {
      name: "VIP Campinas ouro",
      filter: { tags: ["vip"], city: "campinas", state: "SP", custom: { plano: "ouro" }, lastInteractionAfter: "2026-06-01T00:00:00.000Z" },
    });
    expect(segment.filter.excludeOptedOut).toBe(true);
    expect(await countSegment(org.organization.id, segment.id)).toBe(7);
    const ids = await allIds(org.organization.id, segment.id, 3);
    expect(ids.sort()).toEqual(wanted.map((c) => c.id).sort());

    // Before a date: only the old one.
    await updateSegment(owner(), segment.id, { filter: { tags: ["vip"], city: "Campinas", lastInteractionBefore: "2026-06-01T00:00:00.000Z" } });
    expect(await countSegment(org.organization.id, segment.id)).toBe(1);

    // A contact that opts out drops out of the audience at once.
    await updateSegment(owner(), segment.id, {
      filter: { tags: ["vip"], custom: { plano: "ouro" }, lastInteractionAfter: "2026-06-01T00:00:00.000Z", city: "Campinas" },
    });
    await db.update(contacts).set({ optedOut: true }).where(eq(contacts.id, wanted[0]!.id));
    expect((await allIds(org.organization.id, segment.id)).length).toBe(6);
  });

  test("another organization's segment is not found; agents cannot create segments", async () => {
    const segment = await createSegment(owner(), { name: "Everyone", filter: {} });
    const iterate = async () => {
      for await (const _ of resolveSegmentContactIds(other.organization.id, segment.id)) void _;
    };
    await expect(iterate()).rejects.toMatchObject({ code: "not_found" });
    const agent = await createMember(org.organization.id, "agent");
    await expect(createSegment(memberCaller(agent.id, org.organization.id, "agent"), { name: "x", filter: {} })).rejects.toMatchObject({ code: "forbidden" });
    await expect(createSegment(owner(), { name: "Everyone", filter: {} })).rejects.toMatchObject({ code: "conflict" });
  });
});
