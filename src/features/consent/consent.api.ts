import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { consentRecords } from "@/db/schema";
import { rowJson } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import {
  changeConsent,
  consentChangeSchema,
  consentKeywords,
  consentRecordJson,
  consentSettingsSchema,
  listConsentRecords,
  updateConsentSettings,
} from "./consent.service";

const tags = ["Consent"];
const idParams = z.object({ id: z.string() });
const recordSchema = rowJson(consentRecords, [
  "id",
  "contactId",
  "kind",
  "source",
  "keyword",
  "messageId",
  "campaignId",
  "campaignTargetId",
  "note",
  "createdAt",
]);
const settingsSchema = z.object({
  optOutKeywords: z.array(z.string()),
  optInKeywords: z.array(z.string()),
  effectiveOptOut: z.array(z.string()).describe("SAIR, PARAR, STOP plus the organization's own"),
  effectiveOptIn: z.array(z.string()),
  optOutReply: z.string().nullable().describe("The confirmation an opt-out keyword gets; null = the default in the organization's language"),
  optInReply: z.string().nullable().describe("The confirmation an opt-in keyword gets; null = the default"),
});

async function settingsJson(organizationId: string) {
  const k = await consentKeywords(organizationId);
  return {
    optOutKeywords: k.own.optOut,
    optInKeywords: k.own.optIn,
    effectiveOptOut: k.optOut,
    effectiveOptIn: k.optIn,
    optOutReply: k.replies.optOut,
    optInReply: k.replies.optIn,
  };
}

/** `/v1/consent` and `/v1/contacts/:id/consent`: opt-out/opt-in keywords and each contact's consent records (scopes contacts:*). */
export const consentApi = new Elysia({ name: "consent-api" })
  .use(authPlugin)
  .get("/v1/consent/settings", async ({ caller }) => settingsJson(organizationOf(caller)), {
    apiKey: "contacts:read",
    detail: { tags, summary: "Opt-out and opt-in keywords", responses: ok(settingsSchema) },
  })
  .put(
    "/v1/consent/settings",
    async ({ caller, body }) => {
      await updateConsentSettings(caller, body);
      return settingsJson(organizationOf(caller));
    },
    {
      apiKey: "contacts:write",
      body: consentSettingsSchema,
      detail: { tags, summary: "Set the organization's own keywords and confirmation texts", responses: ok(settingsSchema) },
    },
  )
  .get("/v1/contacts/:id/consent", async ({ caller, params }) => ({ data: (await listConsentRecords(caller, params.id)).map(consentRecordJson) }), {
    apiKey: "contacts:read",
    params: idParams,
    detail: { tags, summary: "A contact's consent records, newest first", responses: ok(z.object({ data: z.array(recordSchema) })) },
  })
  .post(
    "/v1/contacts/:id/consent",
    async ({ caller, params, body, set }) => {
      set.status = 201;
      return consentRecordJson(await changeConsent(caller, params.id, body));
    },
    {
      apiKey: "contacts:write",
      params: idParams,
      body: consentChangeSchema,
      detail: { tags, summary: "Record an opt-in or opt-out (source: api for keys, manual for members)", responses: ok(recordSchema, 201) },
    },
  );
