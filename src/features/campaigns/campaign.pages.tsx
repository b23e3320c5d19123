import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { CAMPAIGN_STATUSES, TARGET_STATES, type Campaign, type TargetState } from "@/db/schema";
import { consentKeywords, consentSettingsSchema, updateConsentSettings } from "@/features/consent/consent.service";
import { listAllInstances } from "@/features/instances/instance.service";
import { listSegments } from "@/features/segments/segment.service";
import type { FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, checkbox, formFields, formList, formLines, formText, optionalText, parseForm } from "@/lib/forms";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { currentLocale, currentTimeZone, setRequestLocale, tText, withLocale, zonedWallTimeToDate } from "@/lib/i18n";
import { sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { CampaignFormPage, campaignFormValues, type CampaignFormValues } from "@views/campaigns/_form";
import { ConsentSettingsPage, type ConsentFormValues } from "@views/campaigns/consent";
import { CampaignList, CampaignsPage } from "@views/campaigns/index";
import { CampaignLive, CampaignPage, TargetTable } from "@views/campaigns/show";
import { ageInDays } from "./campaign.pacing";
import { campaignCreateSchema, campaignUpdateSchema } from "./campaign.schema";
import {
  campaignCounts,
  campaignProgress,
  campaignReportCsv,
  campaignSummary,
  campaignTargetsPage,
  cancelCampaign,
  createCampaign,
  getCampaign,
  listCampaigns,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
  riskCheck,
  startCampaign,
  updateCampaign,
} from "./campaign.service";

const idParams = z.object({ id: z.string().max(64) });
const listQuery = z.object({ status: z.enum(CAMPAIGN_STATUSES).or(z.literal("")).optional() });
const targetsQuery = z.object({ state: z.enum(TARGET_STATES).or(z.literal("")).optional(), cursor: z.string().max(200).optional() });
const WALL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** Campaign pages show and read times in the organization's zone: active hours are in it, so the schedule is too. */
function inOrgZone(admin: AdminContext): void {
  setRequestLocale({ timeZone: admin.organization.timeZone });
}

/** A datetime-local value read in the organization's zone as ISO 8601 (anything else goes to the schema as typed, to be refused there). */
function instantOf(local: string, timeZone: string): string | null {
  const text = local.trim();
  if (!text) return null;
  return WALL_TIME.test(text) ? zonedWallTimeToDate(text, timeZone).toISOString() : text;
}

/** A number input: blank leaves the schema's default. */
const numberText = (value: unknown) => optionalText(value);

/** Field names by their dotted paths: Elysia nests `audience.source` of a multipart body into objects, a urlencoded body stays flat. */
function flatFields(body: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(formFields(body))) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Blob)) flatFields(v, key, out);
    else out[key] = v;
  }
  return out;
}

/** The posted form (multipart: the audience CSV is a file) as typed, and as the schema the API uses reads it. */
async function formOf(body: unknown, timeZone: string): Promise<{ values: CampaignFormValues; input: Record<string, unknown> }> {
  const f = flatFields(body);
  const source = formText(f["audience.source"]);
  const values: CampaignFormValues = {
    name: formText(f.name),
    source: source === "tag" || source === "segment" ? source : "csv",
    tag: formText(f["audience.tag"]),
    segmentId: formText(f["audience.segmentId"]),
    body: formText(f["message.body"]),
    variants: formText(f["message.variants"]),
    mediaUrl: formText(f["message.mediaUrl"]),
    rotation: formText(f["message.rotation"]) === "random" ? "random" : "sequential",
    instanceIds: formList(f.instanceIds),
    startsAt: formText(f.startsAt),
    endsAt: formText(f.endsAt),
    weekdays: formList(f["activeHours.weekdays"]),
    activeStart: formText(f["activeHours.start"]),
    activeEnd: formText(f["activeHours.end"]),
    perMinute: formText(f["pacing.perMinute"]),
    jitterPercent: formText(f["pacing.jitterPercent"]),
    dailyCap: formText(f["pacing.dailyCap"]),
    warmupDays: formText(f["pacing.warmupDays"]),
    warmupStartPerDay: formText(f["pacing.warmupStartPerDay"]),
    maxAttempts: formText(f.maxAttempts),
    attemptSpacingMinutes: formText(f.attemptSpacingMinutes),
    stopOnReply: checkbox(f.stopOnReply),
    keepAudience: checkbox(f.keepAudience),
  };
  const file = f["audience.csv"];
  const csv = file instanceof Blob && file.size > 0 ? await file.text() : "";
  const audience =
    source === "csv"
      ? { source, csv }
      : source === "tag"
        ? { source, tag: values.tag }
        : source === "segment"
          ? { source, segmentId: values.segmentId }
          : { source };
  const input = {
    name: values.name,
    audience: values.keepAudience ? undefined : audience,
    message: { body: values.body, variants: formLines(values.variants), mediaUrl: optionalText(values.mediaUrl) ?? null, rotation: values.rotation },
    instanceIds: values.instanceIds,
    startsAt: instantOf(values.startsAt, timeZone),
    endsAt: instantOf(values.endsAt, timeZone),
    activeHours: { weekdays: values.weekdays, start: values.activeStart, end: values.activeEnd },
    pacing: {
      perMinute: numberText(values.perMinute),
      jitterPercent: numberText(values.jitterPercent),
      dailyCap: numberText(values.dailyCap),
      warmupDays: numberText(values.warmupDays),
      warmupStartPerDay: numberText(values.warmupStartPerDay),
    },
    maxAttempts: numberText(values.maxAttempts),
    attemptSpacingMinutes: numberText(values.attemptSpacingMinutes),
    stopOnReply: values.stopOnReply,
  };
  return { values, input };
}

async function formOptions(admin: AdminContext) {
  const now = new Date();
  const [instances, segments] = await Promise.all([listAllInstances(admin), listSegments(admin)]);
  return {
    instances: instances.map((i) => ({ id: i.id, name: i.name, status: i.status, ageDays: ageInDays(i.createdAt, now) })),
    segments: segments.map((s) => ({ id: s.id, name: s.name })),
  };
}

async function renderForm(admin: AdminContext, csrfToken: string, opts: { editing?: Campaign; values?: CampaignFormValues; errors?: FieldError[] }) {
  const editingTargets = opts.editing ? (await campaignProgress(admin, opts.editing.id)).total : undefined;
  return (
    <CampaignFormPage
      admin={admin}
      csrfToken={csrfToken}
      editing={opts.editing}
      editingTargets={editingTargets}
      values={opts.values ?? campaignFormValues(opts.editing, admin.organization.timeZone)}
      errors={opts.errors}
      {...(await formOptions(admin))}
    />
  );
}

async function renderDetail(
  admin: AdminContext,
  csrfToken: string,
  id: string,
  opts: { state?: TargetState; cursor?: string; flash?: ReturnType<typeof takeFlash> },
) {
  const campaign = await getCampaign(admin, id);
  const [progress, summary, preview, risk, targets, instances] = await Promise.all([
    campaignProgress(admin, campaign.id),
    campaignSummary(admin, campaign.id),
    previewCampaign(admin, campaign.id, 3),
    riskCheck(admin, campaign.id),
    campaignTargetsPage(admin, campaign.id, { state: opts.state, cursor: opts.cursor }),
    listAllInstances(admin),
  ]);
  return (
    <CampaignPage
      admin={admin}
      csrfToken={csrfToken}
      flash={opts.flash}
      campaign={campaign}
      progress={progress}
      summary={summary}
      preview={preview}
      risk={risk}
      targets={{ rows: targets.data, nextCursor: targets.nextCursor, state: opts.state }}
      instanceNames={new Map(instances.map((i) => [i.id, i.name]))}
    />
  );
}

const transitions = { start: startCampaign, pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign } as const;
const flashOf = { start: "started", pause: "paused", resume: "resumed", cancel: "cancelled" } as const;

/** Start, pause, resume or cancel from the detail page's buttons (409 when the campaign's status does not allow it). */
async function transitionPage(
  ctx: { admin: AdminContext; params: { id: string }; request: Request; cookie: Parameters<typeof setFlash>[0] },
  action: keyof typeof transitions,
) {
  const campaign = await transitions[action](ctx.admin, ctx.params.id);
  setFlash(ctx.cookie, "success", tText(`campaigns:flash.${flashOf[action]}`));
  return hxRedirect(ctx.request, `/campaigns/${campaign.id}`);
}

function consentValues(k: Awaited<ReturnType<typeof consentKeywords>>): ConsentFormValues {
  return {
    optOutKeywords: k.own.optOut.join("\n"),
    optInKeywords: k.own.optIn.join("\n"),
    optOutReply: k.replies.optOut ?? "",
    optInReply: k.replies.optIn ?? "",
  };
}

/**
 * Admin pages of campaigns (supervisors and above, as the API's writes): the list with progress, the
 * create/edit form on the API's schema, the detail page with live progress (SSE), preview, risk check,
 * start/pause/resume/cancel, the per-target report with its CSV, and the consent keywords.
 */
export const campaignPages = new Elysia({ name: "campaign-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/campaigns",
    async ({ admin, csrfToken, cookie, query, request }) => {
      inOrgZone(admin);
      const status = query.status || undefined;
      const campaigns = await listCampaigns(admin, undefined, { status });
      const counts = await campaignCounts(
        admin,
        campaigns.map((c) => c.id),
      );
      if (isHtmx(request)) return <CampaignList campaigns={campaigns} counts={counts} />;
      return <CampaignsPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} campaigns={campaigns} counts={counts} status={status} />;
    },
    { member: "supervisor", query: listQuery, detail: { hide: true } },
  )
  .get(
    "/campaigns/new",
    async ({ admin, csrfToken }) => {
      inOrgZone(admin);
      return renderForm(admin, csrfToken, {});
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .post(
    "/campaigns",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      inOrgZone(admin);
      const { values, input } = await formOf(body, admin.organization.timeZone);
      const parsed = parseForm(campaignCreateSchema, input);
      const result = parsed.ok ? await attemptForm(() => createCampaign(admin, parsed.value)) : parsed;
      if (!result.ok) {
        set.status = 422;
        return renderForm(admin, csrfToken, { values, errors: result.errors });
      }
      setFlash(cookie, "success", tText("campaigns:flash.created"));
      return hxRedirect(request, `/campaigns/${result.value.id}`);
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .get(
    "/campaigns/consent",
    async ({ admin, csrfToken, cookie }) => (
      <ConsentSettingsPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} values={consentValues(await consentKeywords(admin.organization.id))} />
    ),
    { member: "supervisor", detail: { hide: true } },
  )
  .post(
    "/campaigns/consent",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const f = formFields(body);
      const values: ConsentFormValues = {
        optOutKeywords: formText(f.optOutKeywords),
        optInKeywords: formText(f.optInKeywords),
        optOutReply: formText(f.optOutReply),
        optInReply: formText(f.optInReply),
      };
      const parsed = parseForm(consentSettingsSchema, values);
      const result = parsed.ok ? await attemptForm(() => updateConsentSettings(admin, parsed.value)) : parsed;
      if (!result.ok) {
        set.status = 422;
        return <ConsentSettingsPage admin={admin} csrfToken={csrfToken} values={values} errors={result.errors} />;
      }
      setFlash(cookie, "success", tText("campaigns:flash.consentSaved"));
      return hxRedirect(request, "/campaigns/consent");
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .get(
    "/campaigns/:id",
    async ({ admin, csrfToken, params, query, cookie }) => {
      inOrgZone(admin);
      return renderDetail(admin, csrfToken, params.id, { state: query.state || undefined, cursor: query.cursor, flash: takeFlash(cookie) });
    },
    { member: "supervisor", params: idParams, query: targetsQuery, detail: { hide: true } },
  )
  .get(
    "/campaigns/:id/targets",
    async ({ admin, csrfToken, params, query, request }) => {
      inOrgZone(admin);
      const state = query.state || undefined;
      if (!isHtmx(request)) return renderDetail(admin, csrfToken, params.id, { state, cursor: query.cursor });
      const page = await campaignTargetsPage(admin, params.id, { state, cursor: query.cursor });
      return <TargetTable campaignId={params.id} rows={page.data} nextCursor={page.nextCursor} state={state} />;
    },
    { member: "supervisor", params: idParams, query: targetsQuery, detail: { hide: true } },
  )
  .get(
    "/campaigns/:id/progress",
    async ({ admin, csrfToken, params }) => {
      const campaign = await getCampaign(admin, params.id);
      return <CampaignLive campaign={campaign} progress={await campaignProgress(admin, campaign.id)} csrfToken={csrfToken} />;
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .get(
    "/campaigns/:id/stream",
    async ({ admin, csrfToken, params, request }) => {
      inOrgZone(admin);
      const campaign = await getCampaign(admin, params.id);
      const reader = { locale: currentLocale(), timeZone: currentTimeZone() };
      // Every frame is the card as it is now: after each change, and once on subscribing (a change between
      // the page's render and the subscription sent no frame).
      const card = async () => {
        const [current, progress] = await Promise.all([getCampaign(admin, campaign.id), campaignProgress(admin, campaign.id)]);
        const html = await withLocale(reader, () => <CampaignLive campaign={current} progress={progress} csrfToken={csrfToken} />);
        return { event: "progress", data: String(html) };
      };
      return sseResponse(request, liveTopics.campaign(campaign.id), card, card);
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .get(
    "/campaigns/:id/edit",
    async ({ admin, csrfToken, params }) => {
      inOrgZone(admin);
      return renderForm(admin, csrfToken, { editing: await getCampaign(admin, params.id) });
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .post(
    "/campaigns/:id",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      inOrgZone(admin);
      const editing = await getCampaign(admin, params.id);
      const { values, input } = await formOf(body, admin.organization.timeZone);
      const parsed = parseForm(campaignUpdateSchema, input);
      const result = parsed.ok ? await attemptForm(() => updateCampaign(admin, editing.id, parsed.value), { codes: ["conflict"] }) : parsed;
      if (!result.ok) {
        set.status = 422;
        return renderForm(admin, csrfToken, { editing, values, errors: result.errors });
      }
      setFlash(cookie, "success", tText("campaigns:flash.saved"));
      return hxRedirect(request, `/campaigns/${editing.id}`);
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .post("/campaigns/:id/start", (ctx) => transitionPage(ctx, "start"), { member: "supervisor", params: idParams, detail: { hide: true } })
  .post("/campaigns/:id/pause", (ctx) => transitionPage(ctx, "pause"), { member: "supervisor", params: idParams, detail: { hide: true } })
  .post("/campaigns/:id/resume", (ctx) => transitionPage(ctx, "resume"), { member: "supervisor", params: idParams, detail: { hide: true } })
  .post("/campaigns/:id/cancel", (ctx) => transitionPage(ctx, "cancel"), { member: "supervisor", params: idParams, detail: { hide: true } })
  .get(
    "/campaigns/:id/export.csv",
    async ({ admin, params }) => {
      inOrgZone(admin);
      const campaign = await getCampaign(admin, params.id);
      return new Response(await campaignReportCsv(admin, campaign.id), {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="campaign-${campaign.id}.csv"` },
      });
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  );
