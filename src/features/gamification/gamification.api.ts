import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { historyJsonSchema, participationJsonSchema, rankingJsonSchema, settingsJsonSchema } from "./gamification.openapi";
import { gamificationSettingsSchema, participationSchema, periodQuerySchema } from "./gamification.schema";
import { calculateScores, getGamificationSettings, getRanking, listHistory, setParticipation, updateGamificationSettings } from "./gamification.service";

const idParams = z.object({ id: z.string() });
const tags = ["Gamification"];
const periodHelp = "`period`: `2026-03` (monthly), `2026-W09` (ISO week) or `2026-Q1`; default the current period of the organization's setting.";

/** `/v1/gamification`: ranking, on-demand calculation, top-5 history, settings and participation. */
export const gamificationApi = new Elysia({ name: "gamification-api" })
  .use(authPlugin)
  .get("/v1/gamification/ranking", async ({ caller, query }) => getRanking(caller, query.period), {
    apiKey: "messages:read",
    query: periodQuerySchema,
    detail: { tags, summary: "The stored ranking of a period with scores and badges", description: periodHelp, responses: ok(rankingJsonSchema) },
  })
  .post(
    "/v1/gamification/calculate",
    async ({ caller, query }) => {
      const { period } = await calculateScores(caller, query.period);
      return getRanking(caller, period.key);
    },
    {
      apiKey: "messages:write",
      query: periodQuerySchema,
      detail: {
        tags,
        summary: "Calculate a period's scores now (idempotent: replaces that period's scores and badges)",
        description: `${periodHelp} A period that has ended gets its top 5 written to the history the first time.`,
        responses: ok(rankingJsonSchema),
      },
    },
  )
  .get("/v1/gamification/history", async ({ caller }) => ({ data: await listHistory(caller) }), {
    apiKey: "messages:read",
    detail: { tags, summary: "The permanent top 5 of every closed period, newest first", responses: ok(historyJsonSchema) },
  })
  .get("/v1/gamification/settings", async ({ caller }) => getGamificationSettings(caller), {
    apiKey: "messages:read",
    detail: { tags, summary: "Weights, badge thresholds, targets and the period", responses: ok(settingsJsonSchema) },
  })
  .put("/v1/gamification/settings", async ({ caller, body }) => updateGamificationSettings(caller, body), {
    apiKey: "messages:write",
    body: gamificationSettingsSchema,
    detail: { tags, summary: "Change the settings (the four weights add up to 100)", responses: ok(settingsJsonSchema) },
  })
  .put(
    "/v1/gamification/participants/:id",
    async ({ caller, params, body }) => ({ userId: params.id, participates: await setParticipation(caller, params.id, body) }),
    {
      apiKey: "messages:write",
      params: idParams,
      body: participationSchema,
      detail: { tags, summary: "Set whether a member takes part in the ranking (id: the member's user id)", responses: ok(participationJsonSchema) },
    },
  );
