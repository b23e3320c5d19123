import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import {
  groupCreateSchema,
  groupJsonSchema,
  groupListSchema,
  groupParams,
  groupUpdateSchema,
  instanceParams,
  inviteLinkSchema,
  participantResultsSchema,
  participantsChangeSchema,
} from "./group.schema";
import { changeParticipants, createGroup, getGroup, groupInviteLink, leaveGroup, listGroups, updateGroup } from "./group.service";

const tags = ["Groups"];
const unsupported =
  "422 `unsupported_by_provider` naming the feature when the instance's provider does not offer the operation (the WhatsApp Cloud API: creating, adding, promoting or demoting participants, the picture, leaving); 409 when the instance is not connected; another organization's instance is a 404.";

/** `/v1/instances/:id/groups`: the WhatsApp groups of one instance, administered through its provider. */
export const groupApi = new Elysia({ name: "group-api", prefix: "/v1/instances/:id/groups" })
  .use(authPlugin)
  .get("/", async ({ caller, params }) => ({ data: await listGroups(caller, params.id) }), {
    apiKey: "contacts:read",
    params: instanceParams,
    detail: {
      tags,
      summary: "List the instance's groups",
      description: `Every group the number is in, with participants, as the provider lists them. Each group's contact (kind \`group\`) is created or renamed to match. ${unsupported}`,
      responses: ok(groupListSchema),
    },
  })
  .post(
    "/",
    async ({ caller, params, body, set }) => {
      const group = await createGroup(caller, params.id, body);
      set.status = 201;
      return group;
    },
    {
      apiKey: "contacts:write",
      params: instanceParams,
      body: groupCreateSchema,
      detail: {
        tags,
        summary: "Create a group",
        description: `\`subject\` (at most 100 characters) and \`participants\` (phones, normalized to E.164; the number itself becomes super admin). Records \`group.created\`. ${unsupported}`,
        responses: ok(groupJsonSchema, 201),
      },
    },
  )
  .get("/:group", async ({ caller, params }) => getGroup(caller, params.id, params.group), {
    apiKey: "contacts:read",
    params: groupParams,
    detail: {
      tags,
      summary: "Get a group with its participants",
      description: `Subject, description, picture and participants (phone and/or LID, admin flags). 404 when the number is not in the group. ${unsupported}`,
      responses: ok(groupJsonSchema),
    },
  })
  .patch("/:group", async ({ caller, params, body }) => updateGroup(caller, params.id, params.group, body), {
    apiKey: "contacts:write",
    params: groupParams,
    body: groupUpdateSchema,
    detail: {
      tags,
      summary: "Change a group's subject, description or picture",
      description: `Any of \`subject\`, \`description\` (empty clears it), \`picture\` (a JPEG data URI, at most 2 MB). Answers the group as it now is; records \`group.updated\`. ${unsupported}`,
      responses: ok(groupJsonSchema),
    },
  })
  .post(
    "/:group/participants",
    async ({ caller, params, body }) => {
      const results = await changeParticipants(caller, params.id, params.group, body.action, body.participants);
      return { data: results.map((r) => ({ phone: r.phone, ok: r.ok, error: r.error ?? null })) };
    },
    {
      apiKey: "contacts:write",
      params: groupParams,
      body: participantsChangeSchema,
      detail: {
        tags,
        summary: "Add, remove, promote or demote participants",
        description: `\`action\`: \`add\`, \`remove\`, \`promote\` (make admin) or \`demote\`; \`participants\`: phones. Per phone \`{phone, ok, error}\` (WhatsApp refuses some, e.g. a privacy setting). Records \`group.participants_changed\` for those changed. ${unsupported}`,
        responses: ok(participantResultsSchema),
      },
    },
  )
  .get("/:group/invite-link", async ({ caller, params }) => ({ link: await groupInviteLink(caller, params.id, params.group, false) }), {
    apiKey: "contacts:read",
    params: groupParams,
    detail: { tags, summary: "Get the group's invite link", description: unsupported, responses: ok(inviteLinkSchema) },
  })
  .post("/:group/invite-link/revoke", async ({ caller, params }) => ({ link: await groupInviteLink(caller, params.id, params.group, true) }), {
    apiKey: "contacts:write",
    params: groupParams,
    detail: {
      tags,
      summary: "Revoke the invite link",
      description: `The current link stops working; answers the new one. Records \`group.updated\`. ${unsupported}`,
      responses: ok(inviteLinkSchema),
    },
  })
  .post(
    "/:group/leave",
    async ({ caller, params, set }) => {
      await leaveGroup(caller, params.id, params.group);
      set.status = 204;
    },
    {
      apiKey: "contacts:write",
      params: groupParams,
      detail: { tags, summary: "Leave the group", description: `Records \`group.left\`. ${unsupported}`, responses: noContent() },
    },
  );
