import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, inArray } from "drizzle-orm";
import { db } from "@/db/client";
import { apiKeys, contacts, conversations, devices, events, instances, messages } from "@/db/schema";
import { startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { verifyApiKey } from "@/features/api-keys/api-key.verify";
import { claimDevice } from "@/features/devices/device.claim";
import { createVisitorDevice, createVisitorKey } from "@/features/devices/device.service";
import { createApp } from "@/app";
import { DEVICE_COOKIE } from "@/features/devices/device.cookie";
import { signValue } from "@/lib/crypto";
import { api, TestClient } from "../helpers/client";
import { createOwner, uniqueEmail } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

beforeAll(() => startCacheSync());
afterAll(() => stopCacheSync());

/** A visitor's world before sign-up: a device, two instances with keys, and one conversation. */
async function visitorWorld() {
  const device = await createVisitorDevice();
  const made = await db
    .insert(instances)
    .values([
      { organizationId: null, name: "Sandbox A", createdByDeviceId: device.id },
      { organizationId: null, name: "Sandbox B", createdByDeviceId: device.id },
    ])
    .returning();
  const keyA = await createVisitorKey(device.id, made[0]!.id);
  const keyB = await createVisitorKey(device.id, made[1]!.id);
  const [contact] = await db.insert(contacts).values({ organizationId: null, deviceId: device.id, phone: "+5511999990001", name: "Ana" }).returning();
  const [conversation] = await db.insert(conversations).values({ organizationId: null, instanceId: made[0]!.id, contactId: contact!.id }).returning();
  const [message] = await db
    .insert(messages)
    .values({
      organizationId: null,
      instanceId: made[0]!.id,
      conversationId: conversation!.id,
      contactId: contact!.id,
      direction: "inbound",
      type: "text",
      body: "Oi",
    })
    .returning();
  const [event] = await db
    .insert(events)
    .values({ organizationId: null, instanceId: made[0]!.id, deviceId: device.id, type: "message.received", data: {} })
    .returning();
  return { device, instances: made, keys: [keyA, keyB], contact: contact!, conversation: conversation!, message: message!, event: event! };
}

async function ownerOf(world: Awaited<ReturnType<typeof visitorWorld>>) {
  const [d] = await db.select().from(devices).where(eq(devices.id, world.device.id));
  const inst = await db
    .select()
    .from(instances)
    .where(
      inArray(
        instances.id,
        world.instances.map((i) => i.id),
      ),
    );
  const keys = await db
    .select()
    .from(apiKeys)
    .where(
      inArray(
        apiKeys.id,
        world.keys.map((k) => k.key.id),
      ),
    );
  const [c] = await db.select().from(contacts).where(eq(contacts.id, world.contact.id));
  const [conv] = await db.select().from(conversations).where(eq(conversations.id, world.conversation.id));
  const [m] = await db.select().from(messages).where(eq(messages.id, world.message.id));
  const [e] = await db.select().from(events).where(eq(events.id, world.event.id));
  return {
    device: d!.organizationId,
    instances: inst.map((i) => i.organizationId),
    keys: keys.map((k) => k.organizationId),
    contact: c!.organizationId,
    contactDevice: c!.deviceId,
    conversation: conv!.organizationId,
    message: m!.organizationId,
    event: e!.organizationId,
  };
}

describe("claimDevice", () => {
  test("moves the device, its instances, keys, contacts, conversations, messages and events into the organization", async () => {
    const world = await visitorWorld();
    const bystander = await visitorWorld();
    const { organization } = await createOwner();
    const result = await db.transaction((tx) => claimDevice(tx, world.device.id, organization.id));
    expect(result).toEqual({ instances: 2, apiKeys: 2 });
    const org = organization.id;
    expect(await ownerOf(world)).toEqual({
      device: org,
      instances: [org, org],
      keys: [org, org],
      contact: org,
      contactDevice: null,
      conversation: org,
      message: org,
      event: org,
    });
    const [d] = await db.select().from(devices).where(eq(devices.id, world.device.id));
    expect(d!.claimedAt).toBeInstanceOf(Date);
    expect((await db.select().from(instances).where(eq(instances.id, world.instances[0]!.id)))[0]!.claimedAt).toBeInstanceOf(Date);
    // Another visitor's rows are untouched.
    expect(await ownerOf(bystander)).toEqual({
      device: null,
      instances: [null, null],
      keys: [null, null],
      contact: null,
      contactDevice: bystander.device.id,
      conversation: null,
      message: null,
      event: null,
    });
  });

  test("is all-or-nothing with the surrounding transaction", async () => {
    const world = await visitorWorld();
    const { organization } = await createOwner();
    await expect(
      db.transaction(async (tx) => {
        await claimDevice(tx, world.device.id, organization.id);
        throw new Error("sign-up failed after the claim");
      }),
    ).rejects.toThrow("sign-up failed");
    expect((await ownerOf(world)).device).toBeNull();
    expect((await ownerOf(world)).instances).toEqual([null, null]);
    expect((await ownerOf(world)).message).toBeNull();
  });

  test("a revoked device claims nothing", async () => {
    const world = await visitorWorld();
    await db.update(devices).set({ revokedAt: new Date() }).where(eq(devices.id, world.device.id));
    const { organization } = await createOwner();
    expect(await db.transaction((tx) => claimDevice(tx, world.device.id, organization.id))).toEqual({ instances: 0, apiKeys: 0 });
    const owners = await ownerOf(world);
    expect(owners.device).toBeNull();
    expect(owners.instances).toEqual([null, null]);
    expect(owners.keys).toEqual([null, null]);
    expect(owners.contact).toBeNull();
  });

  test("an already claimed device claims nothing for a second organization", async () => {
    const world = await visitorWorld();
    const first = await createOwner();
    const second = await createOwner();
    await db.transaction((tx) => claimDevice(tx, world.device.id, first.organization.id));
    expect(await db.transaction((tx) => claimDevice(tx, world.device.id, second.organization.id))).toEqual({ instances: 0, apiKeys: 0 });
    const owners = await ownerOf(world);
    expect(owners.device).toBe(first.organization.id);
    expect(owners.instances).toEqual([first.organization.id, first.organization.id]);
    expect(owners.message).toBe(first.organization.id);
  });

  test("a phone the organization already has is merged into its contact instead of failing the claim", async () => {
    const world = await visitorWorld();
    const { organization } = await createOwner();
    const [known] = await db.insert(contacts).values({ organizationId: organization.id, phone: world.contact.phone, name: "Ana (CRM)" }).returning();
    await db.transaction((tx) => claimDevice(tx, world.device.id, organization.id));
    expect(await db.$count(contacts, eq(contacts.id, world.contact.id))).toBe(0);
    const [conv] = await db.select().from(conversations).where(eq(conversations.id, world.conversation.id));
    const [m] = await db.select().from(messages).where(eq(messages.id, world.message.id));
    expect(conv).toMatchObject({ organizationId: organization.id, contactId: known!.id });
    expect(m).toMatchObject({ organizationId: organization.id, contactId: known!.id });
  });

  test("an unknown device claims nothing", async () => {
    const { organization } = await createOwner();
    expect(await db.transaction((tx) => claimDevice(tx, crypto.randomUUID(), organization.id))).toEqual({ instances: 0, apiKeys: 0 });
  });

  test("a cached visitor key picks up its new organization within 1 s of the claim", async () => {
    const world = await visitorWorld();
    const secret = world.keys[0]!.secret;
    expect((await verifyApiKey(secret))!.organizationId).toBeNull();
    const { organization } = await createOwner();
    await db.transaction((tx) => claimDevice(tx, world.device.id, organization.id));
    const organizationId = await waitFor(async () => (await verifyApiKey(secret))?.organizationId, {
      timeoutMs: 1000,
      what: "the claimed organization in the key cache",
    });
    expect(organizationId).toBe(organization.id);
  });
});

describe("sign-up through the form claims the visitor's device", () => {
  test("the lc_device cookie's instances and keys move into the new organization", async () => {
    const app = createApp();
    const world = await visitorWorld();
    const client = new TestClient(app);
    client.cookies.set(DEVICE_COOKIE, encodeURIComponent(signValue(world.device.id)));
    const res = await client.postForm("/signup", {
      name: "Visitor",
      email: uniqueEmail("visitor"),
      password: "correct horse battery staple",
      organizationName: "Claimed Org",
    });
    expect(res.status).toBe(303);
    const owners = await ownerOf(world);
    expect(owners.device).toBeString();
    expect(owners.instances).toEqual([owners.device, owners.device]);
    expect(owners.keys).toEqual([owners.device, owners.device]);
    expect(owners.message).toBe(owners.device);
    // The claimed visitor key now acts for the organization.
    expect((await verifyApiKey(world.keys[0]!.secret))?.organizationId).toBe(owners.device!);
    expect((await api(app, "GET", "/v1/devices", world.keys[0]!.secret)).status).toBe(403); // visitor scopes only
  });
});
