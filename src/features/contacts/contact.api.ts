import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { contactCheckResultSchema, contactJsonSchema, contactPageSchema, contactWithIdentitiesSchema } from "./contact.openapi";
import { identitiesOf, mergeContacts } from "./identity.service";
import {
  contactCheckSchema,
  contactCreateSchema,
  contactIdParams,
  contactListQuerySchema,
  contactMergeSchema,
  contactRefreshQuery,
  contactUpdateSchema,
  contactWhatsAppBlockSchema,
} from "./contact.schema";
import { refreshContactProfile, setContactWhatsAppBlocked } from "./contact.whatsapp";
import { checkPhonesForKey, contactJson, createContact, deleteContact, getContact, listContacts, updateContact } from "./contact.service";

/** `/v1/contacts`: the address book of the key's organization (or of its unclaimed device). */
export const contactApi = new Elysia({ name: "contact-api", prefix: "/v1/contacts" })
  .use(authPlugin)
  .get(
    "/",
    async ({ caller, query }) => {
      const page = await listContacts(caller, query);
      return { data: page.data.map(contactJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "contacts:read",
      query: contactListQuerySchema,
      detail: {
        tags: ["Contacts"],
        summary: "List contacts",
        description:
          "`q` searches name and phone; `tag=a,b` keeps contacts with all tags; cursor pagination. A key bound to one instance sees only contacts with a conversation on that instance.",
        responses: ok(contactPageSchema),
      },
    },
  )
  .post(
    "/",
    async ({ caller, body, set }) => {
      const contact = await createContact(caller, body);
      set.status = 201;
      return contactJson(contact);
    },
    {
      apiKey: "contacts:write",
      body: contactCreateSchema,
      detail: {
        tags: ["Contacts"],
        summary: "Create a contact",
        description: "The phone is normalized to E.164; 422 if invalid, 409 if the contact exists.",
        responses: ok(contactJsonSchema, 201),
      },
    },
  )
  .post(
    "/check",
    async ({ caller, body }) => {
      const result = await checkPhonesForKey(caller, body.phones, { instanceId: body.instanceId });
      return { data: result.data, source: result.source, instanceId: result.instanceId };
    },
    {
      apiKey: "contacts:read",
      body: contactCheckSchema,
      detail: {
        tags: ["Contacts"],
        summary: "Check phone numbers",
        description:
          'Per phone `{phone, input, valid, exists, contactId}`. When a connected instance is available (the body\'s `instanceId`, the key\'s instance, or the organization\'s only connected instance) `exists` means the number has WhatsApp (`source: "whatsapp"`); otherwise it means the number is already a contact (`source: "contacts"`).',
        responses: ok(contactCheckResultSchema),
      },
    },
  )
  .get(
    "/:id",
    async ({ caller, params }) => {
      const contact = await getContact(caller, params.id);
      return { ...contactJson(contact), identities: await identitiesOf(contact.id) };
    },
    {
      apiKey: "contacts:read",
      params: contactIdParams,
      detail: { tags: ["Contacts"], summary: "Get a contact with its WhatsApp identities", responses: ok(contactWithIdentitiesSchema) },
    },
  )
  .post(
    "/:id/merge",
    async ({ caller, params, body }) => {
      const kept = await mergeContacts(caller, params.id, body.contactId);
      return { ...contactJson(kept), identities: await identitiesOf(kept.id) };
    },
    {
      apiKey: "contacts:write",
      params: contactIdParams,
      body: contactMergeSchema,
      detail: {
        tags: ["Contacts"],
        summary: "Merge another contact into this one",
        description:
          "The same person under two contacts: `contactId`'s conversations (folded with this contact's on the same instance), messages, WhatsApp identities and tags move here, and it is deleted. Audited; evented as `contact.merged`.",
        responses: ok(contactWithIdentitiesSchema),
      },
    },
  )
  .post("/:id/refresh", async ({ caller, params, query }) => contactJson(await refreshContactProfile(caller, params.id, query)), {
    apiKey: "contacts:write",
    params: contactIdParams,
    query: contactRefreshQuery,
    detail: {
      tags: ["Contacts"],
      summary: "Refresh the contact's WhatsApp picture and name",
      description:
        "Asks WhatsApp now through `instanceId`, else the key's instance, the contact's latest conversation's instance or the only connected one (409 when none is connected). Stores `pictureUrl` (null when the person has none or hides it) and a verified business name when the contact has no name; `profileFetchedAt` says when. Pictures are also refreshed in the background once a day for active contacts. WuzAPI and the sandbox support it; the Cloud API has no such call (its profile names arrive with webhooks) and answers 422 `unsupported_by_provider`.",
      responses: ok(contactJsonSchema),
    },
  })
  .post("/:id/whatsapp-block", async ({ caller, params, body }) => contactJson(await setContactWhatsAppBlocked(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: contactIdParams,
    body: contactWhatsAppBlockSchema,
    detail: {
      tags: ["Contacts"],
      summary: "Block or unblock the contact on WhatsApp",
      description:
        "`{blocked: true|false}` changes the instance's own WhatsApp block list (the person can no longer write), stored as `whatsappBlocked` and evented as `contact.whatsapp_blocked` / `contact.whatsapp_unblocked`; distinct from `blocked`, which only stops LivChat from answering. The Cloud API (Block Users API: only people who wrote in the last 24 hours) and the sandbox support it; WuzAPI has no block-list endpoint and answers 422 `unsupported_by_provider`.",
      responses: ok(contactJsonSchema),
    },
  })
  .patch("/:id", async ({ caller, params, body }) => contactJson(await updateContact(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: contactIdParams,
    body: contactUpdateSchema,
    detail: {
      tags: ["Contacts"],
      summary: "Update a contact",
      description: "name, tags, blocked, optedOut, metadata; the phone cannot change.",
      responses: ok(contactJsonSchema),
    },
  })
  .delete(
    "/:id",
    async ({ caller, params, set }) => {
      await deleteContact(caller, params.id);
      set.status = 204;
    },
    {
      apiKey: "contacts:write",
      params: contactIdParams,
      detail: { tags: ["Contacts"], summary: "Delete a contact", description: "Also deletes its conversations and messages.", responses: noContent() },
    },
  );
