import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { devices, instances, type Instance } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { claimDevice } from "@/features/devices/device.claim";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { runMediaOnce } from "@/workers/media.worker";
import { api } from "../helpers/client";
import { createOwner } from "../helpers/factories";
import { PNG, mediaRow, useTempDataDir } from "./fixtures";

/** Try before sign-up: a visitor device's media belongs to it, and to the organization that claims it. */
test("a visitor device's media is its own until sign-up claims it for the new organization", async () => {
  useTempDataDir();
  const app = createApp();
  const [device] = await db.insert(devices).values({ name: "visitor" }).returning();
  const [instance] = (await db
    .insert(instances)
    .values({ name: "try", provider: "sandbox", status: "connected", createdByDeviceId: device!.id })
    .returning()) as [Instance];
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: "TRY-1",
    from: "+5511933332222",
    type: "image",
    attachment: { source: { kind: "base64", data: Buffer.from(PNG).toString("base64") }, mimeType: "image/png" },
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.message) throw new Error("not stored");
  await runMediaOnce();
  const id = result.message.media!.mediaId as string;
  expect(await mediaRow(id)).toMatchObject({ status: "stored", organizationId: null, deviceId: device!.id });

  const { organization } = await createOwner();
  await db.transaction((tx) => claimDevice(tx, device!.id, organization.id));
  expect(await mediaRow(id)).toMatchObject({ organizationId: organization.id, deviceId: null });
  const { secret } = await createApiKey({ organizationId: organization.id, name: "after sign-up", scopes: ["*"] });
  const shown = await api(app, "GET", `/v1/media/${id}`, secret);
  expect(shown.status).toBe(200);
  expect(shown.body.status).toBe("stored");
  expect((await db.select().from(instances).where(eq(instances.id, instance.id)))[0]!.organizationId).toBe(organization.id);
});
