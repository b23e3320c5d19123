import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contactIdentities, contacts, events, instances, type Instance } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { mapWuzapiPayload } from "@/providers/wuzapi.inbound";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/** WuzAPI webhook payloads as it forwards whatsmeow's events.GroupInfo and events.JoinedGroup. */
const GROUP = "120363000000000777";
const groupInfo = {
  type: "GroupInfo",
  event: {
    JID: `${GROUP}@g.us`,
    Notify: "Ana",
    Sender: "5511955550001@s.whatsapp.net",
    Timestamp: "2026-12-03T12:00:00Z",
    Name: { Name: "Novo nome", NameSetAt: "2026-12-03T12:00:00Z", NameSetBy: "5511955550001@s.whatsapp.net" },
    Topic: null,
    Join: ["5511955550002@s.whatsapp.net", "111122223333444@lid"],
    Leave: ["5511955550003@s.whatsapp.net"],
    Promote: ["5511955550002@s.whatsapp.net"],
    Demote: null,
  },
};
const joinedGroup = {
  type: "JoinedGroup",
  event: {
    Reason: "",
    Type: "new",
    JID: "120363000000000888@g.us",
    OwnerJID: "5511955550001@s.whatsapp.net",
    Name: "Fornecedores",
    Topic: "",
    Participants: [
      { JID: "5511955550001@s.whatsapp.net", IsAdmin: true, IsSuperAdmin: true },
      { JID: "222233334444555@lid", PhoneNumber: "5511955550009@s.whatsapp.net" },
    ],
  },
};

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let wuzapi: Instance;

beforeAll(async () => {
  org = await setupOrg(app);
  [wuzapi] = (await db.insert(instances).values({ organizationId: org.organization.id, name: "W", provider: "wuzapi", status: "connected" }).returning()) as [
    Instance,
  ];
});

const groupContact = async (id: string) =>
  (
    await db
      .select({ contact: contacts })
      .from(contactIdentities)
      .innerJoin(contacts, eq(contacts.id, contactIdentities.contactId))
      .where(and(eq(contactIdentities.organizationId, org.organization.id), eq(contactIdentities.kind, "group"), eq(contactIdentities.value, id)))
  )[0]?.contact;

describe("WuzAPI group webhooks", () => {
  test("GroupInfo maps each change it carries", () => {
    const mapped = mapWuzapiPayload(groupInfo);
    expect(mapped.map((e) => (e.kind === "group_change" ? [e.change, e.action ?? null, e.participants ?? null] : e.kind))).toEqual([
      ["updated", null, null],
      ["joined", null, [{ phone: "+5511955550002" }, { lid: "111122223333444" }]],
      ["left", null, [{ phone: "+5511955550003" }]],
      ["participants_changed", "promote", [{ phone: "+5511955550002" }]],
    ]);
    expect(mapWuzapiPayload({ type: "GroupInfo", event: { JID: "5511955550001@s.whatsapp.net" } })).toEqual([]);
  });

  test("ingested, they rename the group's contact and are recorded as group.* events readable with contacts:read", async () => {
    for (const event of [...mapWuzapiPayload(groupInfo), ...mapWuzapiPayload(joinedGroup)]) await ingestInbound(wuzapi, event);
    expect(await groupContact(GROUP)).toMatchObject({ kind: "group", name: "Novo nome" });
    expect(await groupContact("120363000000000888")).toMatchObject({ kind: "group", name: "Fornecedores" });
    const recorded = (await db.select().from(events).where(eq(events.instanceId, wuzapi.id))).filter((e) => e.type.startsWith("group."));
    expect(recorded.map((e) => e.type).sort()).toEqual(["group.joined", "group.joined", "group.left", "group.participants_changed", "group.updated"]);
    const self = recorded.find((e) => e.type === "group.joined" && e.data.self === true)!;
    expect(self.data).toMatchObject({
      groupId: "120363000000000888",
      subject: "Fornecedores",
      participants: ["+5511955550001", "+5511955550009"],
      source: "provider",
    });
    expect(recorded.find((e) => e.type === "group.updated")!.data).toMatchObject({ groupId: GROUP, subject: "Novo nome" });

    const reader = await createApiKey({ organizationId: org.organization.id, name: "contacts reader", scopes: ["contacts:read"] });
    const res = await api(app, "GET", "/v1/events?type=group.joined,group.left", reader.secret);
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { type: string }) => e.type).sort()).toEqual(["group.joined", "group.joined", "group.left"]);
    const noScope = await createApiKey({ organizationId: org.organization.id, name: "messages reader", scopes: ["messages:read"] });
    const hidden = await api(app, "GET", "/v1/events?type=group.joined", noScope.secret);
    expect(hidden.body.data ?? []).toEqual([]);
  });
});
