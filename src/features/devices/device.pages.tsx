import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { formFields, parseForm } from "@/lib/forms";
import { setFlash, setReveal, takeFlash, takeReveal } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import type { CreatedSecret } from "@views/api-keys/index";
import { DevicesContent, DevicesPage } from "@views/devices/index";
import type { DeviceFormValues } from "@views/devices/_form";
import { DeviceRow } from "@views/devices/_row";
import { createDeviceSchema } from "./device.schema";
import { createDevice, listDevicesWithKeyCounts, revokeDevice } from "./device.service";
import { isUuid } from "@/lib/ids";

function requireDeviceManager(admin: AdminContext) {
  if (!can.manageDevices(admin.role)) throw new AppError("forbidden", tText("devices:errors.manageForbidden"));
}

const idParams = z.object({ id: z.string() });

/** Admin pages for devices: list, register (with an optional bound key, shown once), revoke. */
export const devicePages = new Elysia({ name: "device-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get(
    "/devices",
    async ({ admin, csrfToken, cookie }) => {
      requireDeviceManager(admin);
      const devices = await listDevicesWithKeyCounts(admin.organization.id);
      // The key of the device registered by the post that redirected here, shown this once (pages are no-store).
      const reveal = takeReveal(cookie, `device-key:${admin.organization.id}`);
      const created: CreatedSecret | undefined = reveal?.secret ? { name: reveal.name ?? "", secret: reveal.secret } : undefined;
      return <DevicesPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} devices={devices} created={created} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/devices",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      requireDeviceManager(admin);
      const organizationId = admin.organization.id;
      const values = formFields(body) as DeviceFormValues;
      // An unchecked box is simply absent from the post: createKey is then undefined, i.e. false.
      const parsed = parseForm(createDeviceSchema, values);
      if (parsed.ok) {
        const result = await createDevice(admin, parsed.value);
        // Post → redirect → get: a refresh or a second click cannot register another device; its key rides along once.
        if (result.apiKey) setReveal(cookie, `device-key:${organizationId}`, { name: result.apiKey.key.name, secret: result.apiKey.secret });
        else setFlash(cookie, "success", tText("devices:flash.registered"));
        return hxRedirect(request, "/devices");
      }
      const errors: FieldError[] = parsed.errors;
      set.status = 422;
      const devices = await listDevicesWithKeyCounts(organizationId);
      const props = { csrfToken, devices, errors, values };
      if (isHtmx(request)) return <DevicesContent {...props} />;
      return <DevicesPage admin={admin} {...props} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/devices/:id/revoke",
    async ({ admin, params, request, cookie }) => {
      requireDeviceManager(admin);
      if (!isUuid(params.id)) throw new AppError("not_found", tText("devices:errors.notFound"));
      const { device, revokedKeys } = await revokeDevice(admin, params.id);
      if (!isHtmx(request)) {
        setFlash(cookie, "success", tText("devices:flash.revoked", { name: device.name, count: revokedKeys }));
        return hxRedirect(request, "/devices");
      }
      const [item] = await listDevicesWithKeyCounts(admin.organization.id, device.id);
      return <DeviceRow device={item ?? { ...device, activeKeys: 0 }} />;
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
