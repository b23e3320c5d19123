import { Elysia } from "elysia";
import { setInstanceProxy } from "./instance.proxy";
import { z } from "zod";
import { authPlugin, resolveApiKey } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import {
  connectResultSchema,
  createInstanceSchema,
  instanceIdParams,
  instanceProxySchema,
  instanceJson,
  instanceJsonSchema,
  listInstancesQuery,
  pairingCodeSchema,
  updateInstanceSchema,
} from "./instance.schema";
import {
  connectInstance,
  createInstance,
  deleteInstance,
  getInstance,
  getInstanceQr,
  listInstances,
  logoutInstance,
  requestPairingCode,
  updateInstance,
} from "./instance.service";

/** Rejects requests without a valid key (any scope; routes check theirs). Verification is cached. */
export async function requireAnyApiKey(request: Request): Promise<void> {
  await resolveApiKey(request.headers, "");
}

const tags = ["Instances"];
const one = instanceJsonSchema;

/** `/v1/instances`: WhatsApp numbers — create, pair (QR or pairing code), log out, delete. */
export const instanceApi = new Elysia({ name: "instance-api", prefix: "/v1/instances" })
  .use(authPlugin)
  // Authenticate before body validation, so a caller without a valid key gets 401, not a 422 about its body.
  .onTransform(({ request }) => requireAnyApiKey(request))
  .get(
    "/",
    async ({ caller, query }) => {
      const page = await listInstances(caller, query);
      return { data: page.data.map(instanceJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "instances:read",
      query: listInstancesQuery,
      response: { 200: z.object({ data: z.array(instanceJsonSchema), nextCursor: z.string().nullable() }) },
      detail: { tags, summary: "List instances" },
    },
  )
  .post(
    "/",
    async ({ caller, body, set }) => {
      const instance = await createInstance(caller, body);
      set.status = 201;
      return instanceJson(instance);
    },
    {
      apiKey: "instances:write",
      body: createInstanceSchema,
      detail: {
        tags,
        summary: "Create an instance",
        description:
          "`provider`: sandbox (default), wuzapi or cloud (needs `config`: phoneNumberId, accessToken, appSecret, verifyToken — secrets stored encrypted, never returned; optional `wabaId`, the WhatsApp Business Account whose message templates are synced).",
        responses: ok(instanceJsonSchema, 201),
      },
    },
  )
  .get("/:id", async ({ caller, params }) => instanceJson(await getInstance(caller, params.id)), {
    apiKey: "instances:read",
    params: instanceIdParams,
    response: { 200: one },
    detail: { tags, summary: "Get an instance" },
  })
  .patch("/:id", async ({ caller, params, body }) => instanceJson(await updateInstance(caller, params.id, body)), {
    apiKey: "instances:write",
    params: instanceIdParams,
    body: updateInstanceSchema,
    response: { 200: one },
    detail: { tags, summary: "Rename, change the daily limit or rotate cloud credentials" },
  })
  .delete(
    "/:id",
    async ({ caller, params, query }) => {
      const deleted = await deleteInstance(caller, params.id, { force: query.force === "true" });
      return { id: deleted.id, deleted: true };
    },
    {
      apiKey: "instances:write",
      params: instanceIdParams,
      query: z.object({ force: z.enum(["true", "false"]).optional() }),
      detail: {
        tags,
        summary: "Delete an instance",
        description: "`?force=true` deletes even when the provider cannot be reached.",
        responses: ok(z.object({ id: z.string(), deleted: z.literal(true) })),
      },
    },
  )
  .post("/:id/connect", async ({ caller, params }) => connectInstance(caller, params.id), {
    apiKey: "instances:write",
    params: instanceIdParams,
    response: { 200: connectResultSchema },
    detail: { tags, summary: "Connect: start the session and get a QR code (`image` is a PNG data URL)" },
  })
  .get("/:id/qr", async ({ caller, params }) => getInstanceQr(caller, params.id), {
    apiKey: "instances:read",
    params: instanceIdParams,
    response: { 200: connectResultSchema },
    detail: { tags, summary: "Current QR code and status" },
  })
  .post("/:id/pairing-code", async ({ caller, params, body }) => requestPairingCode(caller, params.id, body.phone), {
    apiKey: "instances:write",
    params: instanceIdParams,
    body: pairingCodeSchema,
    response: { 200: z.object({ code: z.string() }) },
    detail: { tags, summary: "Pair by phone number: returns the code to type on the phone" },
  })
  .put("/:id/proxy", async ({ caller, params, body }) => instanceJson(await setInstanceProxy(caller, params.id, body.url)), {
    apiKey: "instances:write",
    params: instanceIdParams,
    body: instanceProxySchema,
    detail: {
      tags,
      summary: "Set or remove the WhatsApp connection proxy",
      description:
        '`{url: "socks5://user:password@host:1080"}` (http:// or socks5://) routes a WuzAPI instance\'s WhatsApp connection through a proxy; `{url: null}` removes it. Stored encrypted; `config.proxy` shows it with the password masked. Log the instance out first (409 while connected). The sandbox accepts it; the Cloud API answers 422 `unsupported_by_provider`.',
      responses: ok(instanceJsonSchema),
    },
  })
  .post("/:id/logout", async ({ caller, params }) => instanceJson(await logoutInstance(caller, params.id)), {
    apiKey: "instances:write",
    params: instanceIdParams,
    response: { 200: one },
    detail: { tags, summary: "Log the WhatsApp session out" },
  });
