import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { attemptForm, formFields, parseForm } from "@/lib/forms";
import { setFlash, setReveal, takeFlash, takeReveal } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText, zonedWallTimeToDate } from "@/lib/i18n";
import { ApiKeysContent, ApiKeysPage, type CreatedSecret } from "@views/api-keys/index";
import { ApiKeyRow } from "@views/api-keys/_row";
import { createApiKeySchema, type ApiKeyFormValues } from "./api-key.schema";
import { apiKeyStatus, createOrganizationApiKey, listApiKeysWithBindings, listKeyBindingOptions, revokeOrganizationApiKey } from "./api-key.service";
import { isUuid } from "@/lib/ids";

function requireKeyManager(admin: AdminContext) {
  if (!can.manageKeys(admin.role)) throw new AppError("forbidden", tText("api-keys:errors.manageForbidden"));
}

const idParams = z.object({ id: z.string() });

/** The form's date input means the end of that day where the person is (the API takes full timestamps, or UTC days). */
function endOfDayInZone(value: unknown): unknown {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? zonedWallTimeToDate(`${value}T23:59:59.999`).toISOString() : value;
}

/** Admin pages for API keys: list, create (full key shown once), revoke. */
export const apiKeyPages = new Elysia({ name: "api-key-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get(
    "/api-keys",
    async ({ admin, csrfToken, cookie }) => {
      requireKeyManager(admin);
      const [keys, options] = await Promise.all([listApiKeysWithBindings(admin.organization.id), listKeyBindingOptions(admin.organization.id)]);
      // The key created by the post that redirected here, shown this once (pages are no-store).
      const reveal = takeReveal(cookie, `api-key:${admin.organization.id}`);
      const created: CreatedSecret | undefined = reveal?.secret ? { name: reveal.name ?? "", secret: reveal.secret } : undefined;
      return <ApiKeysPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} keys={keys} options={options} created={created} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/api-keys",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      requireKeyManager(admin);
      const organizationId = admin.organization.id;
      const values = formFields(body) as ApiKeyFormValues;
      let errors: FieldError[] | undefined;
      const parsed = parseForm(createApiKeySchema, { ...values, expiresAt: endOfDayInZone(values.expiresAt) });
      if (!parsed.ok) {
        errors = parsed.errors;
      } else {
        const result = await attemptForm(() => createOrganizationApiKey(admin, parsed.value));
        if (result.ok) {
          // Post → redirect → get: a refresh or a second click cannot mint another key; the secret rides along once.
          setReveal(cookie, `api-key:${organizationId}`, { name: result.value.key.name, secret: result.value.secret });
          return hxRedirect(request, "/api-keys");
        }
        errors = result.errors;
      }
      const [keys, options] = await Promise.all([listApiKeysWithBindings(organizationId), listKeyBindingOptions(organizationId)]);
      set.status = 422;
      const props = { csrfToken, keys, options, errors, values };
      if (isHtmx(request)) return <ApiKeysContent {...props} />;
      return <ApiKeysPage admin={admin} {...props} />;
    },
    { member: "agent", detail: { hide: true } },
  )
  .post(
    "/api-keys/:id/revoke",
    async ({ admin, params, request, cookie }) => {
      requireKeyManager(admin);
      if (!isUuid(params.id)) throw new AppError("not_found", tText("api-keys:errors.notFound"));
      const key = await revokeOrganizationApiKey(admin, params.id);
      if (!isHtmx(request)) {
        setFlash(cookie, "success", tText("api-keys:flash.revoked", { name: key.name }));
        return hxRedirect(request, "/api-keys");
      }
      const [item] = await listApiKeysWithBindings(admin.organization.id, key.id);
      return <ApiKeyRow apiKey={item ?? { ...key, instanceName: null, deviceName: null, status: apiKeyStatus(key) }} />;
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
