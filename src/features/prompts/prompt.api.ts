import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { noContent, ok } from "@/lib/openapi";
import { promptDiffSchema, promptDraftJsonSchema, promptVersionJsonSchema, promptVersionListSchema } from "./prompt.openapi";
import { diffQuerySchema, publishSchema, saveDraftSchema, versionParams } from "./prompt.schema";
import {
  diffPromptVersions,
  discardPromptDraft,
  getPromptDraft,
  getPromptVersion,
  listPromptVersions,
  promptDraftJson,
  promptVersionJson,
  publishFromEditor,
  rollbackPromptVersion,
  savePromptDraft,
} from "./prompt.service";

const idParams = z.object({ id: z.string().uuid() });
const tags = ["Prompt versions"];

/**
 * `/v1/workflows/:id/prompt/…`: an AI workflow's instructions as versions (scopes workflows:read /
 * workflows:write): list, get, the draft (save, discard), publish, diff, rollback.
 */
export const promptsApi = new Elysia({ name: "prompts-api" })
  .use(authPlugin)
  .get(
    "/v1/workflows/:id/prompt/versions",
    async ({ caller, params }) => ({ data: (await listPromptVersions(caller, params.id)).map(promptVersionJson), nextCursor: null }),
    { apiKey: "workflows:read", params: idParams, detail: { tags, summary: "List a workflow's prompt versions", responses: ok(promptVersionListSchema) } },
  )
  .get(
    "/v1/workflows/:id/prompt/versions/:version",
    async ({ caller, params }) => promptVersionJson(await getPromptVersion(caller, params.id, params.version)),
    { apiKey: "workflows:read", params: versionParams, detail: { tags, summary: "Get one prompt version", responses: ok(promptVersionJsonSchema) } },
  )
  .get(
    "/v1/workflows/:id/prompt/draft",
    async ({ caller, params }) => {
      const draft = await getPromptDraft(caller, params.id);
      if (!draft) throw new AppError("not_found", tText("prompts:errors.noDraft"));
      return promptDraftJson(draft);
    },
    {
      apiKey: "workflows:read",
      params: idParams,
      detail: { tags, summary: "Get the draft of a workflow's instructions (404: none)", responses: ok(promptDraftJsonSchema) },
    },
  )
  .put("/v1/workflows/:id/prompt/draft", async ({ caller, params, body }) => promptDraftJson(await savePromptDraft(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: saveDraftSchema,
    detail: { tags, summary: "Save the draft (it does not answer until published)", responses: ok(promptDraftJsonSchema) },
  })
  .delete(
    "/v1/workflows/:id/prompt/draft",
    async ({ caller, params, set }) => {
      await discardPromptDraft(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags, summary: "Discard the draft", responses: noContent() } },
  )
  .post(
    "/v1/workflows/:id/prompt/publish",
    async ({ caller, params, body, set }) => {
      set.status = 201;
      return promptVersionJson(await publishFromEditor(caller, params.id, body, "api"));
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      body: publishSchema,
      detail: {
        tags,
        summary: "Publish the next version: `instructions`, or the draft's text when omitted (the draft is then consumed)",
        responses: ok(promptVersionJsonSchema, 201),
      },
    },
  )
  .get("/v1/workflows/:id/prompt/diff", async ({ caller, params, query }) => diffPromptVersions(caller, params.id, query.from, query.to), {
    apiKey: "workflows:read",
    params: idParams,
    query: diffQuerySchema,
    detail: { tags, summary: "Line diff between two versions", responses: ok(promptDiffSchema) },
  })
  .post(
    "/v1/workflows/:id/prompt/versions/:version/rollback",
    async ({ caller, params, set }) => {
      set.status = 201;
      return promptVersionJson(await rollbackPromptVersion(caller, params.id, params.version));
    },
    {
      apiKey: "workflows:write",
      params: versionParams,
      detail: {
        tags,
        summary: 'Roll back: publish an old version\'s text as the next version (changelog "rollback to vN")',
        responses: ok(promptVersionJsonSchema, 201),
      },
    },
  );
