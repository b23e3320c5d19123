import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { createDeviceSchema, deviceCreatedResponse, deviceIdParams, deviceListQuery, deviceListResponse, deviceResponse } from "./device.schema";
import { createDevice, getDevice, listDevices, revokeDevice, serializeDevice } from "./device.service";

/** `/v1/devices`: register, list, show and revoke the organization's devices. */
export const deviceApi = new Elysia({ name: "device-api", prefix: "/v1/devices" })
  .use(authPlugin)
  .get(
    "",
    async ({ caller, query }) => {
      const page = await listDevices(caller, query);
      return { data: page.data.map(serializeDevice), nextCursor: page.nextCursor };
    },
    {
      apiKey: "devices:read",
      query: deviceListQuery,
      response: { 200: deviceListResponse },
      detail: { tags: ["Devices"], summary: "List devices", description: "Newest first. A key bound to a device sees only that device." },
    },
  )
  .post(
    "",
    async ({ caller, apiKey, body, set }) => {
      const { device, apiKey: created } = await createDevice(caller, body, { grantingKey: apiKey });
      set.status = 201;
      return {
        ...serializeDevice(device),
        ...(created
          ? {
              apiKey: {
                id: created.key.id,
                name: created.key.name,
                displayPrefix: created.key.displayPrefix,
                scopes: created.key.scopes,
                instanceId: created.key.instanceId,
                deviceId: device.id,
                expiresAt: created.key.expiresAt?.toISOString() ?? null,
                requestsPerMinute: created.key.requestsPerMinute,
                maxMessagesPerDay: created.key.maxMessagesPerDay,
                parentKeyId: created.key.parentKeyId,
                secret: created.secret,
              },
            }
          : {}),
      };
    },
    {
      apiKey: "devices:write",
      body: createDeviceSchema,
      response: { 201: deviceCreatedResponse },
      detail: {
        tags: ["Devices"],
        summary: "Register a device",
        description:
          "With `createKey: true` the response carries `apiKey.secret`, a key bound to the device, shown only this once. Its scopes (`keyScopes`) cannot exceed the calling key's; " +
          "it expires no later than the calling key (`keyExpiresAt`, the earlier wins), its limits (`keyRequestsPerMinute`, `keyMaxMessagesPerDay`) never exceed the calling key's (the lower wins), " +
          "and revoking the calling key revokes it too.",
      },
    },
  )
  .get("/:id", async ({ caller, params }) => serializeDevice(await getDevice(caller, params.id)), {
    apiKey: "devices:read",
    params: deviceIdParams,
    response: { 200: deviceResponse },
    detail: { tags: ["Devices"], summary: "Get a device" },
  })
  .delete(
    "/:id",
    async ({ caller, params }) => {
      const { device } = await revokeDevice(caller, params.id);
      return serializeDevice(device);
    },
    {
      apiKey: "devices:write",
      params: deviceIdParams,
      response: { 200: deviceResponse },
      detail: { tags: ["Devices"], summary: "Revoke a device", description: "Revokes the device and every API key bound to it; idempotent." },
    },
  );
