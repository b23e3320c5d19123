import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { getConversation } from "@/features/conversations/conversation.service";
import { type FieldError, validationFailed } from "@/lib/errors";
import { attemptForm, formFields, formList, formText, parseForm, unprocessable } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { PromiseForm, PromisesIndex } from "@views/collections/index";
import { CrmSyncForm, CrmSyncShow, CrmSyncsIndex, formValuesOf, type CrmSyncFormValues } from "@views/collections/crm-syncs";
import { SettingsForm, SettingsPage, type SettingsFormValues } from "@views/collections/settings";
import { TargetsIndex } from "@views/collections/targets";
import { listCampaigns } from "@/features/campaigns/campaign.service";
import { organizationOf } from "@/lib/tenant";
import type { Caller } from "@/lib/caller";
import { createCrmSyncSchema, updateCrmSyncSchema } from "./crm-sync.schema";
import { createCrmSync, crmSyncJson, deleteCrmSync, getCrmSync, listCrmSyncs, listRuns, requestRun, runJson, updateCrmSync } from "./crm-sync.service";
import { settingsSchema } from "./settings.schema";
import { settingsOf, updateSettings } from "./settings.service";
import { targetListQuerySchema } from "./target.schema";
import { listTargets, targetJson } from "./target.service";
import { createPromiseSchema, promiseListQuerySchema, updatePromiseSchema } from "./promise.schema";
import { createPromise, listPromises, promiseJson, updatePromise } from "./promise.service";

const idParams = z.object({ id: z.string() });

const CRM_FORM_FIELDS = [
  "name",
  "url",
  "apiKey",
  "authHeader",
  "mapping.phone",
  "mapping.name",
  "mapping.document",
  "mapping.amount",
  "mapping.amountUnit",
  "mapping.dueDate",
  "mapping.metadata",
  "dateRangeType",
  "dateRangeDays",
  "dateRangeFrom",
  "dateRangeTo",
  "minAmountCents",
  "maxAmountCents",
  "dedupeBy",
  "intervalMinutes",
  "campaignId",
] as const;

/** The last value of a field (checkboxes send a hidden "false" then "true" when ticked). */
const lastOf = (v: unknown) => formList(v).at(-1) ?? "";

/** The CRM sync form's raw values (kept to re-render) and the API-shaped input they make. */
function crmFormInput(body: unknown, editing: boolean) {
  const fields = formFields(body);
  const values: CrmSyncFormValues = {};
  for (const k of CRM_FORM_FIELDS) values[k] = formText(fields[k]);
  values.enabled = lastOf(fields.enabled) || "false";
  values.updateExisting = lastOf(fields.updateExisting) || "false";
  const input: Record<string, unknown> = {
    name: values.name,
    authHeader: values.authHeader,
    mapping: {
      phone: values["mapping.phone"],
      name: values["mapping.name"],
      document: values["mapping.document"],
      amount: values["mapping.amount"],
      amountUnit: values["mapping.amountUnit"] || "cents",
      dueDate: values["mapping.dueDate"],
      metadata: values["mapping.metadata"],
    },
    dateRangeType: values.dateRangeType || "none",
    dateRangeDays: values.dateRangeDays,
    dateRangeFrom: values.dateRangeFrom,
    dateRangeTo: values.dateRangeTo,
    minAmountCents: values.minAmountCents,
    maxAmountCents: values.maxAmountCents,
    dedupeBy: values.dedupeBy || "phone",
    intervalMinutes: values.intervalMinutes,
    campaignId: values.campaignId,
    enabled: values.enabled === "true",
    updateExisting: values.updateExisting === "true",
  };
  // Editing: an empty URL or key keeps the stored one; "remove the key" clears it.
  if (values.url || !editing) input.url = values.url;
  if (values.apiKey) input.apiKey = values.apiKey;
  else if (editing && lastOf(fields.removeApiKey) === "true") input.apiKey = null;
  values.apiKey = "";
  return { values, input };
}

async function campaignOptions(caller: Caller) {
  return (await listCampaigns(caller)).filter((c) => c.status !== "cancelled").map((c) => ({ id: c.id, name: c.name }));
}

const settingsValues = (s: {
  remindersEnabled: boolean;
  reminderDaysBefore: number;
  promiseMaxDays: number | null;
  allowedMethods: string[];
}): SettingsFormValues => ({
  remindersEnabled: s.remindersEnabled,
  reminderDaysBefore: String(s.reminderDaysBefore),
  promiseMaxDays: s.promiseMaxDays?.toString() ?? "",
  allowedMethods: s.allowedMethods,
});

/**
 * The collections pages: promises (the list by status, recording one — from a conversation:
 * `?conversationId=` — marking paid / broken), the campaigns' debtors, CRM syncs (list, create, edit,
 * runs, sync now) and the organization's collection rules.
 */
export const collectionsPages = new Elysia({ name: "collections-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/collections/promises",
    async ({ admin, csrfToken, cookie, query }) => {
      const status = promiseListQuerySchema.shape.status.safeParse(query.status);
      const cursor = typeof query.cursor === "string" ? query.cursor : undefined;
      const conversationId = typeof query.conversationId === "string" ? query.conversationId : undefined;
      // From a conversation: it must be one the member sees (404 otherwise).
      const row = conversationId ? await getConversation(admin, conversationId) : null;
      const page = await listPromises(admin, promiseListQuerySchema.parse({ status: status.success ? status.data : undefined, cursor }));
      return PromisesIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        promises: page.data.map(promiseJson),
        status: status.success ? status.data : undefined,
        nextCursor: page.nextCursor,
        form: {
          values: row ? { conversationId: row.conversation.id } : {},
          contactLabel: row ? (row.contact.name ?? row.contact.phone ?? undefined) : undefined,
        },
      });
    },
    { member: "agent" },
  )
  .post(
    "/collections/promises",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values = {
        conversationId: formText(fields.conversationId),
        phone: formText(fields.phone),
        amountCents: formText(fields.amountCents),
        dueDate: formText(fields.dueDate),
        method: formText(fields.method),
        notes: formText(fields.notes),
      };
      const rerender = (errors: FieldError[]) => unprocessable(set, () => PromiseForm({ values, errors }));
      const parsed = parseForm(createPromiseSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createPromise(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("collections:flash.created"));
      return hxRedirect(request, "/collections/promises");
    },
    { member: "agent" },
  )
  .post(
    "/collections/promises/:id",
    async ({ admin, params, body, request, cookie }) => {
      const parsed = parseForm(updatePromiseSchema, { status: formText(formFields(body).status) || undefined });
      if (!parsed.ok) throw validationFailed(parsed.errors);
      await updatePromise(admin, params.id, parsed.value);
      setFlash(cookie, "success", tText("collections:flash.saved"));
      return hxRedirect(request, "/collections/promises");
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/collections/targets",
    async ({ admin, csrfToken, query }) => {
      const parsed = targetListQuerySchema.safeParse({ campaignId: query.campaignId, cursor: query.cursor });
      const q = parsed.success ? parsed.data : targetListQuerySchema.parse({});
      const page = await listTargets(admin, q);
      return TargetsIndex({
        admin,
        csrfToken,
        targets: page.data.map(targetJson),
        campaigns: (await listCampaigns(admin)).map((c) => ({ id: c.id, name: c.name })),
        campaignId: q.campaignId,
        nextCursor: page.nextCursor,
      });
    },
    { member: "agent" },
  )
  .get(
    "/collections/settings",
    async ({ admin, csrfToken, cookie }) =>
      SettingsPage({ admin, csrfToken, flash: takeFlash(cookie), values: settingsValues(await settingsOf(organizationOf(admin))) }),
    { member: "supervisor" },
  )
  .post(
    "/collections/settings",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values: SettingsFormValues = {
        remindersEnabled: lastOf(fields.remindersEnabled) === "true",
        reminderDaysBefore: formText(fields.reminderDaysBefore),
        promiseMaxDays: formText(fields.promiseMaxDays),
        allowedMethods: formList(fields.allowedMethods),
      };
      const rerender = (errors: FieldError[]) => unprocessable(set, () => SettingsForm({ values, errors }));
      const parsed = parseForm(settingsSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateSettings(admin, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("collections:settings.saved"));
      return hxRedirect(request, "/collections/settings");
    },
    { member: "supervisor" },
  )
  .get(
    "/collections/crm-syncs",
    async ({ admin, csrfToken, cookie }) =>
      CrmSyncsIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        syncs: (await listCrmSyncs(admin)).map(crmSyncJson),
        campaigns: await campaignOptions(admin),
        form: { values: { authHeader: "Authorization", intervalMinutes: "60", "mapping.amountUnit": "cents", enabled: "true", updateExisting: "true" } },
      }),
    { member: "supervisor" },
  )
  .post(
    "/collections/crm-syncs",
    async ({ admin, body, request, set, cookie }) => {
      const { values, input } = crmFormInput(body, false);
      const campaigns = await campaignOptions(admin);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => CrmSyncForm({ values, errors, campaigns }));
      const parsed = parseForm(createCrmSyncSchema, input);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createCrmSync(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("collections:crm.flash.created"));
      return hxRedirect(request, `/collections/crm-syncs/${created.value.id}`);
    },
    { member: "supervisor" },
  )
  .get(
    "/collections/crm-syncs/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const config = crmSyncJson(await getCrmSync(admin, params.id));
      return CrmSyncShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        config,
        runs: (await listRuns(admin, params.id)).map(runJson),
        campaigns: await campaignOptions(admin),
        form: { values: formValuesOf(config) },
      });
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/collections/crm-syncs/:id",
    async ({ admin, body, request, set, cookie, params }) => {
      const config = crmSyncJson(await getCrmSync(admin, params.id));
      const { values, input } = crmFormInput(body, true);
      const campaigns = await campaignOptions(admin);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => CrmSyncForm({ values, errors, campaigns, config }));
      const parsed = parseForm(updateCrmSyncSchema, input);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateCrmSync(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("collections:crm.flash.saved"));
      return hxRedirect(request, `/collections/crm-syncs/${params.id}`);
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/collections/crm-syncs/:id/run",
    async ({ admin, request, cookie, params }) => {
      await requestRun(admin, params.id);
      setFlash(cookie, "success", tText("collections:crm.flash.started"));
      return hxRedirect(request, `/collections/crm-syncs/${params.id}`);
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/collections/crm-syncs/:id/delete",
    async ({ admin, request, cookie, params }) => {
      await deleteCrmSync(admin, params.id);
      setFlash(cookie, "success", tText("collections:crm.flash.deleted"));
      return hxRedirect(request, "/collections/crm-syncs");
    },
    { member: "supervisor", params: idParams },
  );
