import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { conversationJsonSchema } from "@/features/conversations/conversation.openapi";
import { conversationJson } from "@/features/conversations/conversation.service";
import { transferConversation } from "@/features/conversations/routing";
import { noContent, ok } from "@/lib/openapi";
import { departmentJsonSchema, departmentListSchema, greetingMenuJsonSchema } from "./department.openapi";
import { departmentInputSchema, departmentPatchSchema, greetingMenuSchema, transferSchema } from "./department.schema";
import { createDepartment, deleteDepartment, departmentJson, getDepartment, listDepartments, updateDepartment } from "./department.service";
import { getGreetingMenu, greetingMenuJson, saveGreetingMenu } from "./greeting-menu";

const idParams = z.object({ id: z.string().max(64) });
const tags = ["Departments"];

/**
 * `/v1/departments` (queues: scopes messages:read / messages:write), an instance's greeting menu, and the
 * transfer of a conversation between departments or agents.
 */
export const departmentsApi = new Elysia({ name: "departments-api" })
  .use(authPlugin)
  .get("/v1/departments", async ({ caller }) => ({ data: (await listDepartments(caller)).map(departmentJson), nextCursor: null }), {
    apiKey: "messages:read",
    detail: { tags, summary: "List departments", responses: ok(departmentListSchema) },
  })
  .post(
    "/v1/departments",
    async ({ caller, body, set }) => {
      set.status = 201;
      return departmentJson(await createDepartment(caller, body));
    },
    {
      apiKey: "messages:write",
      body: departmentInputSchema,
      detail: {
        tags,
        summary: "Create a department",
        description: "`name` is unique per organization (any case); `memberIds` must be members of the organization; `autoCloseMinutes` null = never.",
        responses: ok(departmentJsonSchema, 201),
      },
    },
  )
  .get("/v1/departments/:id", async ({ caller, params }) => departmentJson(await getDepartment(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a department", responses: ok(departmentJsonSchema) },
  })
  .patch("/v1/departments/:id", async ({ caller, params, body }) => departmentJson(await updateDepartment(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: departmentPatchSchema,
    detail: {
      tags,
      summary: "Update a department",
      description: "Only the fields sent change; `memberIds` replaces the members.",
      responses: ok(departmentJsonSchema),
    },
  })
  .delete(
    "/v1/departments/:id",
    async ({ caller, params, set }) => {
      await deleteDepartment(caller, params.id);
      set.status = 204;
    },
    {
      apiKey: "messages:write",
      params: idParams,
      detail: { tags, summary: "Delete a department", description: "Its conversations are left without a department.", responses: noContent() },
    },
  )
  .get("/v1/instances/:id/greeting-menu", async ({ caller, params }) => greetingMenuJson(await getGreetingMenu(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get an instance's greeting menu", responses: ok(greetingMenuJsonSchema) },
  })
  .put("/v1/instances/:id/greeting-menu", async ({ caller, params, body }) => greetingMenuJson(await saveGreetingMenu(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: greetingMenuSchema,
    detail: {
      tags,
      summary: "Set an instance's greeting menu",
      description:
        "`{enabled, greeting, options: [departmentId…] (in order, 1–10 active departments), maxAttempts, fallbackDepartmentId|null}`. A new conversation without a department gets the greeting and the numbered options (an interactive list where the provider and the organization's setting allow); the contact answers with the number, the name or the list option. After `maxAttempts` invalid answers it goes to the fallback department, or to a human.",
      responses: ok(greetingMenuJsonSchema),
    },
  })
  .post("/v1/conversations/:id/transfer", async ({ caller, params, body }) => conversationJson(await transferConversation(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: transferSchema,
    detail: {
      tags: ["Conversations"],
      summary: "Transfer a conversation to another department or agent",
      description:
        "`{departmentId?: id|null, userId?: id|null, reason}`. A department without `userId` puts it in that queue unassigned; an agent must be a member of the target department. Shown as an activity line in the conversation, audited, emits `conversation.transferred`.",
      responses: ok(conversationJsonSchema),
    },
  });
