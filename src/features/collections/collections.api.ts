import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { promiseJsonSchema, promisePageSchema } from "./collections.openapi";
import { createPromiseSchema, promiseListQuerySchema, updatePromiseSchema } from "./promise.schema";
import { createPromise, getPromise, listPromises, promiseJson, updatePromise } from "./promise.service";

const idParams = z.object({ id: z.string() });
const tags = ["Collections"];

/** `/v1/collections`: promises of payment with their reminder and fulfilled / broken tracking (scopes contacts:read / contacts:write). */
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
  });
