import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { db, listen } from "@/db/client";
import { instances, type Instance } from "@/db/schema";
import { startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { INSTANCE_CHANGED_CHANNEL, findCloudInstance, findWuzapiInstance } from "@/features/inbound/inbound.webhooks";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

// The provider-webhook instance lookup is cached per listening process and evicted through the
// instances trigger's NOTIFY, so a change made by any process is seen by the next webhook.
let cloud: Instance;
let wuzapi: Instance;

beforeAll(async () => {
  const organizationId = (await createOwner()).organization.id;
  [cloud] = (await db.insert(instances).values({ organizationId, name: "Cloud", provider: "cloud" }).returning()) as [Instance];
  [wuzapi] = (await db
    .insert(instances)
    .values({ organizationId, name: "Wuz", provider: "wuzapi", providerInstanceId: `wuz-${Date.now()}` })
    .returning()) as [Instance];
  await startCacheSync();
});
afterAll(() => stopCacheSync());

describe("instance lookup cache", () => {
  test("a change to the instance reaches the next lookup through NOTIFY", async () => {
    expect((await findCloudInstance(cloud.id))?.name).toBe("Cloud");
    // Changed behind the cache's back by another statement (as another process would):
    await db.update(instances).set({ name: "Cloud renamed" }).where(eq(instances.id, cloud.id));
    await waitFor(async () => (await findCloudInstance(cloud.id))?.name === "Cloud renamed");
  });

  test("the activity stamp alone does not notify; any other change does", async () => {
    const heard: string[] = [];
    const unlisten = await listen(INSTANCE_CHANGED_CHANNEL, (id) => heard.push(id));
    try {
      await db.update(instances).set({ lastActivityAt: new Date() }).where(eq(instances.id, wuzapi.id));
      await db.update(instances).set({ name: "Wuz 2" }).where(eq(instances.id, wuzapi.id));
      // Notifications arrive in commit order: had the first update notified, it would be heard first.
      await waitFor(() => heard.length > 0);
      expect(heard).toEqual([wuzapi.id]);
      await waitFor(async () => (await findWuzapiInstance(wuzapi.providerInstanceId as string))?.name === "Wuz 2");
    } finally {
      await unlisten();
    }
  });

  test("an unknown instance is not cached: created next, the next webhook finds it", async () => {
    const id = crypto.randomUUID();
    expect(await findCloudInstance(id)).toBeUndefined();
    await db.insert(instances).values({ id, organizationId: cloud.organizationId, name: "Later", provider: "cloud" });
    expect((await findCloudInstance(id))?.name).toBe("Later");
  });

  test("a deleted instance is not found after its NOTIFY", async () => {
    expect(await findCloudInstance(cloud.id)).toBeDefined();
    await db.delete(instances).where(eq(instances.id, cloud.id));
    await waitFor(async () => (await findCloudInstance(cloud.id)) === undefined);
  });
});
