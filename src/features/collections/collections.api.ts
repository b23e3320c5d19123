import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import {
  crmRunJsonSchema,
  crmRunListSchema,
  crmSyncJsonSchema,
  crmSyncListSchema,
  promiseJsonSchema,
  promisePageSchema,
  settingsJsonSchema,
  targetJsonSchema,
  targetPageSchema,
} from "./collections.openapi";
import { createCrmSyncSchema, updateCrmSyncSchema } from "./crm-sync.schema";
import { createCrmSync, crmSyncJson, deleteCrmSync, getCrmSync, getRun, listCrmSyncs, listRuns, requestRun, runJson, updateCrmSync } from "./crm-sync.service";
import { createPromiseSchema, promiseListQuerySchema, updatePromiseSchema } from "./promise.schema";
import { createPromise, getPromise, listPromises, promiseJson, updatePromise } from "./promise.service";
import { settingsSchema } from "./settings.schema";
import { settingsJson, settingsOf, updateSettings } from "./settings.service";
import { createTargetSchema, targetListQuerySchema, updateTargetSchema } from "./target.schema";
import { createTarget, getTarget, listTargets, targetJson, updateTarget } from "./target.service";
import { organizationOf } from "@/lib/tenant";

const idParams = z.object({ id: z.string() });
const runParams = z.object({ id: z.string(), runId: z.string() });
const runQuery = z.object({ wait: z.preprocess((v) => v === "true" || v === "1", z.boolean()).optional() });
const tags = ["Collections"];

/**
 * `/v1/collections`: promises of payment with their reminder and fulfilled / broken tracking, the
 * organization's collection rules, CRM syncs (scopes contacts:read / contacts:write), and collection
 * targets, the debtors of campaigns (messages:read / messages:write, as campaigns).
 */
export const collectionsApi = new Elysia({ name: "collections-api" })
  .use(authPlugin)
  .get(
    "/v1/collections/promises",
    async ({ caller, query }) => {
      const page = await listPromises(caller, query);
      return { data: page.data.map(promiseJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "contacts:read",
      query: promiseListQuerySchema,
      detail: {
        tags,
        summary: "List promises of payment",
        description: "Newest first. Filters: `status` (pending, fulfilled, broken), `contactId`.",
        responses: ok(promisePageSchema),
      },
    },
  )
  .post(
    "/v1/collections/promises",
    async ({ caller, body, set }) => {
      set.status = 201;
      return promiseJson(await createPromise(caller, body));
    },
    {
      apiKey: "contacts:write",
      body: createPromiseSchema,
      detail: {
        tags,
        summary: "Record a promise of payment",
        description:
          "For the contact of `conversationId`, or a contact by `contactId` or `phone`. A reminder is sent to the contact the day before `dueDate`; still pending after `dueDate` (the organization's calendar) it becomes `broken`.",
        responses: ok(promiseJsonSchema, 201),
      },
    },
  )
  .get("/v1/collections/promises/:id", async ({ caller, params }) => promiseJson(await getPromise(caller, params.id)), {
    apiKey: "contacts:read",
    params: idParams,
    detail: { tags, summary: "Get a promise of payment", responses: ok(promiseJsonSchema) },
  })
  .patch("/v1/collections/promises/:id", async ({ caller, params, body }) => promiseJson(await updatePromise(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: idParams,
    body: updatePromiseSchema,
    detail: { tags, summary: "Mark a promise fulfilled, broken or pending again", responses: ok(promiseJsonSchema) },
  })
  .get("/v1/collections/settings", async ({ caller }) => settingsJson(await settingsOf(organizationOf(caller))), {
    apiKey: "contacts:read",
    detail: { tags, summary: "The organization's collection rules", responses: ok(settingsJsonSchema) },
  })
  .put("/v1/collections/settings", async ({ caller, body }) => settingsJson(await updateSettings(caller, body)), {
    apiKey: "contacts:write",
    body: settingsSchema,
    detail: {
      tags,
      summary: "Change the collection rules",
      description:
        "`reminderDaysBefore`: days before a promised day its reminder goes (0 = on the day); `remindersEnabled`; `promiseMaxDays`: a promised day at most this far ahead (null: no limit); `allowedMethods`: payment methods a promise may name. Omitted fields keep their value.",
      responses: ok(settingsJsonSchema),
    },
  })
  .get(
    "/v1/collections/targets",
    async ({ caller, query }) => {
      const page = await listTargets(caller, query);
      return { data: page.data.map(targetJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      query: targetListQuerySchema,
      detail: {
        tags,
        summary: "List collection targets (campaign debtors)",
        description: "Newest first; `campaignId` filters.",
        responses: ok(targetPageSchema),
      },
    },
  )
  .post(
    "/v1/collections/targets",
    async ({ caller, body, set }) => {
      set.status = 201;
      return targetJson(await createTarget(caller, body));
    },
    {
      apiKey: "messages:write",
      body: createTargetSchema,
      detail: {
        tags,
        summary: "Add a debtor to a campaign",
        description:
          "The contact of `phone` (created if new) becomes a target of the campaign carrying the debt. Its messages can use {{valor}} (R$ 1.234,56), {{vencimento}} (dd/mm/aaaa), {{documento}}, {{devedor}} and the metadata's fields. 409 when the campaign already has a debt for the contact; a completed campaign runs again.",
        responses: ok(targetJsonSchema, 201),
      },
    },
  )
  .get("/v1/collections/targets/:id", async ({ caller, params }) => targetJson(await getTarget(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a collection target", responses: ok(targetJsonSchema) },
  })
  .patch("/v1/collections/targets/:id", async ({ caller, params, body }) => targetJson(await updateTarget(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: updateTargetSchema,
    detail: { tags, summary: "Correct a debt (amount, due date, debtor, document, metadata)", responses: ok(targetJsonSchema) },
  })
  .get("/v1/collections/crm-syncs", async ({ caller }) => ({ data: (await listCrmSyncs(caller)).map(crmSyncJson), nextCursor: null }), {
    apiKey: "contacts:read",
    detail: { tags, summary: "List CRM syncs", responses: ok(crmSyncListSchema) },
  })
  .post(
    "/v1/collections/crm-syncs",
    async ({ caller, body, set }) => {
      set.status = 201;
      return crmSyncJson(await createCrmSync(caller, body));
    },
    {
      apiKey: "contacts:write",
      body: createCrmSyncSchema,
      detail: {
        tags,
        summary: "Create a CRM sync",
        description: [
          "Imports debtors from an HTTP JSON source into `campaignId` every `intervalMinutes` (while `enabled`) or on demand (`/run`).",
          "The URL and `apiKey` are stored encrypted and never returned; the key goes in `authHeader` (`Authorization` sends `Bearer <key>`). Only public addresses are fetched, redirects are not followed.",
          'Each page is a JSON array of records, or `{"data": [records], "next": "<url>"|null}` with `next` on the same origin (absolute or relative). 5 MiB per page, 50 pages and 20 000 records per run.',
          "`mapping` names where each field is in a record (key or dot path); `amountUnit` cents or reais. Filters: due date (`dateRangeType` relative = the last `dateRangeDays` days up to today, fixed = `dateRangeFrom`..`dateRangeTo`), `minAmountCents`/`maxAmountCents`.",
          "`dedupeBy` document or phone finds an existing debtor of the campaign, updated when `updateExisting`, else skipped.",
        ].join("\n\n"),
        responses: ok(crmSyncJsonSchema, 201),
      },
    },
  )
  .get("/v1/collections/crm-syncs/:id", async ({ caller, params }) => crmSyncJson(await getCrmSync(caller, params.id)), {
    apiKey: "contacts:read",
    params: idParams,
    detail: { tags, summary: "Get a CRM sync (URL and key masked)", responses: ok(crmSyncJsonSchema) },
  })
  .patch("/v1/collections/crm-syncs/:id", async ({ caller, params, body }) => crmSyncJson(await updateCrmSync(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: idParams,
    body: updateCrmSyncSchema,
    detail: {
      tags,
      summary: "Change a CRM sync (omitted fields, the key included, keep their value; `apiKey: null` removes it)",
      responses: ok(crmSyncJsonSchema),
    },
  })
  .delete(
    "/v1/collections/crm-syncs/:id",
    async ({ caller, params, set }) => {
      await deleteCrmSync(caller, params.id);
      set.status = 204;
    },
    { apiKey: "contacts:write", params: idParams, detail: { tags, summary: "Delete a CRM sync (its targets stay)", responses: noContent() } },
  )
  .post(
    "/v1/collections/crm-syncs/:id/run",
    async ({ caller, params, query, set }) => {
      const run = await requestRun(caller, params.id, { wait: query.wait });
      set.status = query.wait ? 200 : 202;
      return runJson(run);
    },
    {
      apiKey: "contacts:write",
      params: idParams,
      query: runQuery,
      detail: {
        tags,
        summary: "Sync now",
        description:
          "Starts a run (202, `running`; follow it in `/runs/{runId}`); `?wait=true` answers when it ends (200). 409 while a run of this config is in progress.",
        responses: { ...ok(crmRunJsonSchema, 202), ...ok(crmRunJsonSchema) },
      },
    },
  )
  .get("/v1/collections/crm-syncs/:id/runs", async ({ caller, params }) => ({ data: (await listRuns(caller, params.id)).map(runJson) }), {
    apiKey: "contacts:read",
    params: idParams,
    detail: { tags, summary: "The sync's runs, newest first (the last 50)", responses: ok(crmRunListSchema) },
  })
  .get("/v1/collections/crm-syncs/:id/runs/:runId", async ({ caller, params }) => runJson(await getRun(caller, params.id, params.runId)), {
    apiKey: "contacts:read",
    params: runParams,
    detail: { tags, summary: "One run: status, counts, skip reasons", responses: ok(crmRunJsonSchema) },
  });
