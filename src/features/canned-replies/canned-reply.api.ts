import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { cannedReplyJsonSchema, cannedReplyListSchema } from "./canned-reply.openapi";
import { cannedReplyQuerySchema, createCannedReplySchema, updateCannedReplySchema } from "./canned-reply.schema";
import { cannedReplyJson, createCannedReply, deleteCannedReply, getCannedReply, listCannedReplies, updateCannedReply } from "./canned-reply.service";

const idParams = z.object({ id: z.string() });
const tags = ["Canned replies"];

/** `/v1/canned-replies`: the organization's quick replies (scopes messages:read / messages:write). */
export const cannedRepliesApi = new Elysia({ name: "canned-replies-api" })
  .use(authPlugin)
  .get(
    "/v1/canned-replies",
    async ({ caller, query }) => ({ data: (await listCannedReplies(caller, { q: query.q })).map(cannedReplyJson), nextCursor: null }),
    {
      apiKey: "messages:read",
      query: cannedReplyQuerySchema,
      detail: { tags, summary: "List canned replies (q: start of the shortcut or part of the title)", responses: ok(cannedReplyListSchema) },
    },
  )
  .post(
    "/v1/canned-replies",
    async ({ caller, body, set }) => {
      set.status = 201;
      return cannedReplyJson(await createCannedReply(caller, body));
    },
    { apiKey: "messages:write", body: createCannedReplySchema, detail: { tags, summary: "Create a canned reply", responses: ok(cannedReplyJsonSchema, 201) } },
  )
  .get("/v1/canned-replies/:id", async ({ caller, params }) => cannedReplyJson(await getCannedReply(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a canned reply", responses: ok(cannedReplyJsonSchema) },
  })
  .patch("/v1/canned-replies/:id", async ({ caller, params, body }) => cannedReplyJson(await updateCannedReply(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: updateCannedReplySchema,
    detail: { tags, summary: "Update a canned reply", responses: ok(cannedReplyJsonSchema) },
  })
  .delete(
    "/v1/canned-replies/:id",
    async ({ caller, params, set }) => {
      await deleteCannedReply(caller, params.id);
      set.status = 204;
    },
    { apiKey: "messages:write", params: idParams, detail: { tags, summary: "Delete a canned reply", responses: noContent() } },
  );
