import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversations, events, instances } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Contacts A" });
  other = await setupOrg(app, { orgName: "Contacts B" });
});

async function newContact(key: string, body: Record<string, unknown>) {
  const res = await api(app, "POST", "/v1/contacts", key, body);
  expect(res.status).toBe(201);
  return res.body;
}

describe("POST /v1/contacts", () => {
  test("normalizes the phone to E.164, stores tags lower-cased and emits contact.created", async () => {
    const c = await newContact(org.key, { phone: "+55 (11) 99999-0001", name: "Ana", tags: ["VIP", " lead ", "vip"] });
    expect(c.phone).toBe("+5511999990001");
    expect(c.tags).toEqual(["vip", "lead"]);
    expect(c.blocked).toBe(false);
    const [event] = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, org.organization.id), eq(events.type, "contact.created")));
    expect((event!.data as any).contact.id).toBe(c.id);
  });

  test("422 for an invalid phone, 409 when the contact exists", async () => {
    const bad = await api(app, "POST", "/v1/contacts", org.key, { phone: "12ab" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("validation_failed");
    expect(bad.body.error.details[0].path).toBe("phone");
    await newContact(org.key, { phone: "+5511999990002" });
    const dup = await api(app, "POST", "/v1/contacts", org.key, { phone: "5511999990002" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("conflict");
  });

  test("the same phone may be a contact of two organizations", async () => {
    await newContact(other.key, { phone: "+5511999990002" });
  });

  test("requires contacts:write", async () => {
    const { secret } = await createApiKey({ organizationId: org.organization.id, name: "ro", scopes: ["contacts:read"] });
    const res = await api(app, "POST", "/v1/contacts", secret, { phone: "+5511999990003" });
    expect(res.status).toBe(403);
    expect((await api(app, "POST", "/v1/contacts", undefined, { phone: "+5511999990003" })).status).toBe(401);
  });
});

describe("GET /v1/contacts", () => {
  beforeAll(async () => {
    await newContact(org.key, { phone: "+5521988880001", name: "Bruno Search", tags: ["customer"] });
    await newContact(org.key, { phone: "+5521988880002", name: "Carla 100%_off", tags: ["customer", "vip"] });
  });

  test("searches by name (case-insensitive, wildcards literal) and by phone digits", async () => {
    const byName = await api(app, "GET", "/v1/contacts?q=bruno", org.key);
    expect(byName.status).toBe(200);
    expect(byName.body.data.map((c: any) => c.name)).toEqual(["Bruno Search"]);
    const literal = await api(app, "GET", `/v1/contacts?q=${encodeURIComponent("%_")}`, org.key);
    expect(literal.body.data.map((c: any) => c.name)).toEqual(["Carla 100%_off"]);
    const byPhone = await api(app, "GET", "/v1/contacts?q=21%2098888-0002", org.key);
    expect(byPhone.body.data.map((c: any) => c.phone)).toEqual(["+5521988880002"]);
  });

  test("filters by tags (all listed tags must match)", async () => {
    const customers = await api(app, "GET", "/v1/contacts?tag=customer", org.key);
    expect(customers.body.data.length).toBe(2);
    const both = await api(app, "GET", "/v1/contacts?tag=customer,VIP", org.key);
    expect(both.body.data.map((c: any) => c.phone)).toEqual(["+5521988880002"]);
  });

  test("paginates with a cursor, newest first, without repeats", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api(app, "GET", `/v1/contacts?limit=2${cursor ? `&cursor=${cursor}` : ""}`, org.key);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((c: any) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(new Set(seen).size);
    const all = await api(app, "GET", "/v1/contacts?limit=200", org.key);
    expect(seen).toEqual(all.body.data.map((c: any) => c.id));
    expect(all.body.nextCursor).toBeNull();
  });

  test("a malformed cursor is a 422, not a 500", async () => {
    const res = await api(app, "GET", "/v1/contacts?cursor=not-a-cursor", org.key);
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe("cursor");
  });

  test("never lists another organization's contacts", async () => {
    const res = await api(app, "GET", "/v1/contacts?limit=200", other.key);
    expect(res.body.data.map((c: any) => c.phone)).toEqual(["+5511999990002"]);
  });
});

describe("GET/PATCH/DELETE /v1/contacts/:id", () => {
  test("updates name, tags, block list, opt-out and metadata; the block is audited", async () => {
    const c = await newContact(org.key, { phone: "+5531977770001", name: "Dora" });
    const res = await api(app, "PATCH", `/v1/contacts/${c.id}`, org.key, {
      name: "Dora Lima",
      tags: "a, b",
      blocked: true,
      optedOut: true,
      metadata: { crmId: 7 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Dora Lima", tags: ["a", "b"], blocked: true, optedOut: true, metadata: { crmId: 7 } });
    const got = await api(app, "GET", `/v1/contacts/${c.id}`, org.key);
    expect(got.body.blocked).toBe(true);
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.targetId, c.id), eq(auditLogs.action, "contact.blocked")));
    expect(audit.length).toBe(1);
    const blocked = await api(app, "GET", "/v1/contacts?blocked=true", org.key);
    expect(blocked.body.data.map((x: any) => x.id)).toEqual([c.id]);
  });

  test("rejects invalid updates with 422", async () => {
    const c = await newContact(org.key, { phone: "+5531977770002" });
    const res = await api(app, "PATCH", `/v1/contacts/${c.id}`, org.key, { tags: ["<script>"], name: "x".repeat(500) });
    expect(res.status).toBe(422);
    const paths = res.body.error.details.map((d: any) => d.path);
    expect(paths).toContain("name");
  });

  test("deletes", async () => {
    const c = await newContact(org.key, { phone: "+5531977770003" });
    expect((await api(app, "DELETE", `/v1/contacts/${c.id}`, org.key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/contacts/${c.id}`, org.key)).status).toBe(404);
  });

  test("another organization's contact is a 404 on every route; logged out is 401", async () => {
    const c = await newContact(org.key, { phone: "+5531977770004" });
    for (const [method, body] of [["GET"], ["PATCH", { name: "hijack" }], ["DELETE"]] as const) {
      const res = await api(app, method, `/v1/contacts/${c.id}`, other.key, body);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
      expect((await api(app, method, `/v1/contacts/${c.id}`, undefined, body)).status).toBe(401);
    }
    expect((await api(app, "GET", "/v1/contacts/not-a-uuid", org.key)).status).toBe(404);
    expect((await api(app, "GET", `/v1/contacts/${c.id}`, org.key)).body.name).toBeNull();
  });
});

describe("POST /v1/contacts/check", () => {
  test("without a connected instance: valid per phone and exists = known contact", async () => {
    const res = await api(app, "POST", "/v1/contacts/check", org.key, { phones: ["+55 11 99999-0001", "+5511000000000", "abc"] });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe("contacts");
    expect(res.body.data).toEqual([
      { phone: "+5511999990001", input: "+55 11 99999-0001", valid: true, exists: true, contactId: expect.any(String) },
      { phone: "+5511000000000", input: "+5511000000000", valid: true, exists: false, contactId: null },
      { phone: "abc", input: "abc", valid: false, exists: false, contactId: null },
    ]);
  });

  test("with a connected sandbox instance: exists comes from the provider", async () => {
    const created = await api(app, "POST", "/v1/instances", org.key, { name: "Check", provider: "sandbox" });
    expect(created.status).toBe(201);
    const instanceId = created.body.id;
    expect((await api(app, "POST", `/v1/instances/${instanceId}/connect`, org.key)).status).toBeLessThan(300);
    expect((await api(app, "POST", `/v1/sandbox/instances/${instanceId}/scan`, org.key, {})).status).toBe(200);
    const res = await api(app, "POST", "/v1/contacts/check", org.key, { phones: ["+5511000000000", "12"] });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe("whatsapp");
    expect(res.body.instanceId).toBe(instanceId);
    expect(res.body.data.map((d: any) => [d.phone, d.valid, d.exists])).toEqual([
      ["+5511000000000", true, true],
      ["12", false, false],
    ]);
    // Another organization's instance cannot be used.
    expect((await api(app, "POST", "/v1/contacts/check", other.key, { phones: ["+5511000000000"], instanceId })).status).toBe(404);
  });

  test("validates the body", async () => {
    expect((await api(app, "POST", "/v1/contacts/check", org.key, { phones: [] })).status).toBe(422);
    expect((await api(app, "POST", "/v1/contacts/check", org.key, { phones: Array(101).fill("+5511999990001") })).status).toBe(422);
  });
});

describe("a key bound to one instance", () => {
  test("reads only contacts with a conversation on its instance (list, get, check); others are 404 on every route", async () => {
    const organizationId = org.organization.id;
    const [a] = await db.insert(instances).values({ organizationId, name: "Bound A" }).returning();
    const [b] = await db.insert(instances).values({ organizationId, name: "Bound B" }).returning();
    const onA = await newContact(org.key, { phone: "+5511977770001", name: "On A", tags: ["bound-test"] });
    const onB = await newContact(org.key, { phone: "+5511977770002", name: "On B", tags: ["bound-test"] });
    const nowhere = await newContact(org.key, { phone: "+5511977770003", name: "Nowhere", tags: ["bound-test"] });
    await db.insert(conversations).values([
      { organizationId, instanceId: a!.id, contactId: onA.id },
      { organizationId, instanceId: b!.id, contactId: onB.id },
    ]);
    const { secret: bound } = await createApiKey({ organizationId, name: "bound", scopes: ["contacts:read", "contacts:write"], instanceId: a!.id });

    const list = await api(app, "GET", "/v1/contacts?limit=100", bound);
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([onA.id]);
    expect((await api(app, "GET", `/v1/contacts/${onA.id}`, bound)).status).toBe(200);
    for (const hidden of [onB, nowhere]) {
      expect((await api(app, "GET", `/v1/contacts/${hidden.id}`, bound)).status).toBe(404);
      expect((await api(app, "PATCH", `/v1/contacts/${hidden.id}`, bound, { name: "x" })).status).toBe(404);
      expect((await api(app, "DELETE", `/v1/contacts/${hidden.id}`, bound)).status).toBe(404);
    }
    const check = await api(app, "POST", "/v1/contacts/check", bound, { phones: [onA.phone, onB.phone] });
    expect(check.status).toBe(200);
    expect(check.body.data.map((c: { contactId: string | null }) => c.contactId)).toEqual([onA.id, null]);

    // The organization-wide key still sees all three.
    const all = await api(app, "GET", "/v1/contacts?limit=100&tag=bound-test", org.key);
    expect(all.body.data.map((c: { id: string }) => c.id).sort()).toEqual([onA.id, onB.id, nowhere.id].sort());
  });
});
