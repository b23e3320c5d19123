import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { forbidden, notFound, zodDetails, type FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import type { CreatedSecret } from "@views/api-keys/index";
import { DevicesContent, DevicesPage } from "@views/devices/index";
import type { DeviceFormValues } from "@views/devices/_form";
import { DeviceRow } from "@views/devices/_row";
import { createDeviceSchema } from "./device.schema";
import { createDevice, listDevicesWithKeyCounts, revokeDevice } from "./device.service";

function requireDeviceManager(admin: AdminContext) {
  if (!can.manageDevices(admin.role)) throw forbidden("Only admins and owners manage devices");
}

const idParams = z.object({ id: z.string() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Admin pages for devices: list, register (with an optional bound key, shown once), revoke. */
export const devicePages = new Elysia({ name: "device-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get(
    "/devices",
    async ({ admin, csrfToken, cookie }) => {
      requireDeviceManager(admin);
      const devices = await listDevicesWithKeyCounts(admin.organization.id);
      return <DevicesPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} devices={devices} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/devices",
    async ({ admin, csrfToken, body, request, set }) => {
      requireDeviceManager(admin);
      const organizationId = admin.organization.id;
      const values = (body && typeof body === "object" ? body : {}) as DeviceFormValues;
      // An unchecked box is simply absent from the post: createKey is then undefined, i.e. false.
      const parsed = createDeviceSchema.safeParse(values);
      let errors: FieldError[] | undefined;
      let created: CreatedSecret | undefined;
      if (!parsed.success) {
        errors = zodDetails(parsed.error.issues);
        set.status = 422;
      } else {
        const result = await createDevice(organizationId, parsed.data, { type: "user", id: admin.user.id }, { request });
        if (result.apiKey) created = { name: result.apiKey.key.name, secret: result.apiKey.secret };
      }
      set.headers["cache-control"] = "no-store";
      const devices = await listDevicesWithKeyCounts(organizationId);
      const props = { csrfToken, devices, errors, created, values: errors ? values : undefined };
      if (isHtmx(request)) return <DevicesContent {...props} />;
      return <DevicesPage admin={admin} {...props} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/devices/:id/revoke",
    async ({ admin, params, request, cookie }) => {
      requireDeviceManager(admin);
      if (!UUID.test(params.id)) throw notFound("Device");
      const { device, revokedKeys } = await revokeDevice({ organizationId: admin.organization.id }, params.id, { type: "user", id: admin.user.id }, request);
      if (!isHtmx(request)) {
        setFlash(cookie, "success", `Revoked ${device.name} and ${revokedKeys} key(s)`);
        return hxRedirect(request, "/devices");
      }
      const [item] = await listDevicesWithKeyCounts(admin.organization.id, device.id);
      return <DeviceRow device={item ?? { ...device, activeKeys: 0 }} />;
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
