import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { ok } from "@/lib/openapi";
import { csvResponse } from "@/features/contacts/contact.openapi";
import {
  campaignJsonSchema,
  campaignListSchema,
  campaignPreviewSchema,
  campaignProgressSchema,
  campaignReportSchema,
  campaignRiskSchema,
} from "./campaign.openapi";
import { campaignCreateSchema, campaignPreviewQuery } from "./campaign.schema";
import {
  campaignJson,
  campaignProgress,
  campaignReport,
  campaignReportCsv,
  cancelCampaign,
  createCampaign,
  getCampaign,
  listCampaigns,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
  riskCheck,
  startCampaign,
} from "./campaign.service";

const idParams = z.object({ id: z.string() });
const tags = ["Campaigns"];

/** `/v1/campaigns`: paced bulk sends (scopes messages:read / messages:write); the rules live in campaign.service.ts. */
export const campaignsApi = new Elysia({ name: "campaigns-api" })
  .use(authPlugin)
  .get("/v1/campaigns", async ({ caller }) => ({ data: (await listCampaigns(caller)).map(campaignJson), nextCursor: null }), {
    apiKey: "messages:read",
    detail: { tags, summary: "List campaigns", responses: ok(campaignListSchema) },
  })
  .post(
    "/v1/campaigns",
    async ({ caller, body, set }) => {
      set.status = 201;
      return campaignJson(await createCampaign(caller, body));
    },
    {
      apiKey: "messages:write",
      body: campaignCreateSchema,
      detail: {
        tags,
        summary: "Create a draft campaign (audience: CSV of phones, contact import, tag or segment)",
        description:
          "`audience.source`: `csv` — an inline CSV (header row, a phone/telefone/celular/whatsapp column, every other column a message variable `{{column}}`), imported through the contacts import (422 naming the rejected lines); `import` — `importId` of a finished `/v1/contact-imports` upload, for files of any size (up to 50 MB): its accepted rows are the targets, each with its row's columns as variables, rejected rows stay in that import's `/rejects` report; `tag` or `segment` — the matching contacts. Targets are one per contact, in file order; `audienceImportId` names the import a CSV audience went through.",
        responses: ok(campaignJsonSchema, 201),
      },
    },
  )
  .get("/v1/campaigns/:id", async ({ caller, params }) => campaignJson(await getCampaign(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a campaign", responses: ok(campaignJsonSchema) },
  })
  .post("/v1/campaigns/:id/start", async ({ caller, params }) => campaignJson(await startCampaign(caller, params.id)), {
    apiKey: "messages:write",
    params: idParams,
    detail: { tags, summary: "Start a draft campaign", responses: ok(campaignJsonSchema) },
  })
  .post("/v1/campaigns/:id/pause", async ({ caller, params }) => campaignJson(await pauseCampaign(caller, params.id)), {
    apiKey: "messages:write",
    params: idParams,
    detail: { tags, summary: "Pause a running campaign", responses: ok(campaignJsonSchema) },
  })
  .post("/v1/campaigns/:id/resume", async ({ caller, params }) => campaignJson(await resumeCampaign(caller, params.id)), {
    apiKey: "messages:write",
    params: idParams,
    detail: { tags, summary: "Resume a paused campaign", responses: ok(campaignJsonSchema) },
  })
  .post("/v1/campaigns/:id/cancel", async ({ caller, params }) => campaignJson(await cancelCampaign(caller, params.id)), {
    apiKey: "messages:write",
    params: idParams,
    detail: { tags, summary: "Cancel a campaign (targets not sent yet are skipped)", responses: ok(campaignJsonSchema) },
  })
  .get("/v1/campaigns/:id/progress", async ({ caller, params }) => campaignProgress(caller, params.id), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Targets per state", responses: ok(campaignProgressSchema) },
  })
  .get(
    "/v1/campaigns/:id/progress/stream",
    async ({ caller, params, request }) => {
      const campaign = await getCampaign(caller, params.id);
      return sseResponse(request, liveTopics.campaign(campaign.id), async () => ({
        event: "progress",
        data: JSON.stringify(await campaignProgress(caller, campaign.id)),
      }));
    },
    {
      apiKey: "messages:read",
      params: idParams,
      detail: {
        tags,
        summary: "Live progress (SSE): a `progress` frame with targets per state at every change",
        responses: ok(campaignProgressSchema, 200, { eventStream: "`progress` frames, each {total, states} after a target changed" }),
      },
    },
  )
  .get("/v1/campaigns/:id/preview", async ({ caller, params, query }) => ({ data: await previewCampaign(caller, params.id, query.limit) }), {
    apiKey: "messages:read",
    params: idParams,
    query: campaignPreviewQuery,
    detail: { tags, summary: "The first targets' messages as they will be sent", responses: ok(campaignPreviewSchema) },
  })
  .get("/v1/campaigns/:id/risk", async ({ caller, params }) => riskCheck(caller, params.id), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Pre-send risk check (capacity vs audience, young numbers, earlier opt-out rates)", responses: ok(campaignRiskSchema) },
  })
  .get("/v1/campaigns/:id/report", async ({ caller, params }) => ({ data: await campaignReport(caller, params.id, { limit: 10_000 }) }), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Every target with its state, reason and times (first 10 000; the CSV has all)", responses: ok(campaignReportSchema) },
  })
  .get(
    "/v1/campaigns/:id/export",
    async ({ caller, params }) =>
      new Response(await campaignReportCsv(caller, params.id), {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="campaign-${params.id}.csv"` },
      }),
    { apiKey: "messages:read", params: idParams, detail: { tags, summary: "The report as CSV", responses: csvResponse } },
  );
