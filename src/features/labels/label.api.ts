import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { labelJsonSchema, labelListSchema } from "./label.openapi";
import { conversationLabelSchema, createLabelSchema, updateLabelSchema } from "./label.schema";
import { changeConversationLabel, createLabel, deleteLabel, getLabel, labelJson, listLabels, updateLabel } from "./label.service";

const idParams = z.object({ id: z.string() });
const conversationLabelParams = z.object({ id: z.string(), labelId: z.string() });
const tags = ["Labels"];

/** `/v1/labels` (the organization's conversation labels) and labelling a conversation (scopes messages:read / messages:write). */
export const labelsApi = new Elysia({ name: "labels-api" })
  .use(authPlugin)
  .get("/v1/labels", async ({ caller }) => ({ data: (await listLabels(caller)).map(labelJson), nextCursor: null }), {
    apiKey: "messages:read",
    detail: { tags, summary: "List conversation labels", responses: ok(labelListSchema) },
  })
  .post(
    "/v1/labels",
    async ({ caller, body, set }) => {
      set.status = 201;
      return labelJson(await createLabel(caller, body));
    },
    { apiKey: "messages:write", body: createLabelSchema, detail: { tags, summary: "Create a label", responses: ok(labelJsonSchema, 201) } },
  )
  .get("/v1/labels/:id", async ({ caller, params }) => labelJson(await getLabel(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a label", responses: ok(labelJsonSchema) },
  })
  .patch("/v1/labels/:id", async ({ caller, params, body }) => labelJson(await updateLabel(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: updateLabelSchema,
    detail: { tags, summary: "Rename or recolour a label", responses: ok(labelJsonSchema) },
  })
  .delete(
    "/v1/labels/:id",
    async ({ caller, params, set }) => {
      await deleteLabel(caller, params.id);
      set.status = 204;
    },
    { apiKey: "messages:write", params: idParams, detail: { tags, summary: "Delete a label (taken off every conversation)", responses: noContent() } },
  )
  .post(
    "/v1/conversations/:id/labels",
    async ({ caller, params, body, set }) => {
      await changeConversationLabel(caller, params.id, body.labelId, "add");
      set.status = 204;
    },
    {
      apiKey: "messages:write",
      params: idParams,
      body: conversationLabelSchema,
      detail: { tags, summary: "Put a label on a conversation", description: "Adding a label twice changes nothing.", responses: noContent() },
    },
  )
  .delete(
    "/v1/conversations/:id/labels/:labelId",
    async ({ caller, params, set }) => {
      // The label in the path is a resource: another organization's (or an unknown) one reads as 404.
      await getLabel(caller, params.labelId);
      await changeConversationLabel(caller, params.id, params.labelId, "remove");
      set.status = 204;
    },
    { apiKey: "messages:write", params: conversationLabelParams, detail: { tags, summary: "Take a label off a conversation", responses: noContent() } },
  );
