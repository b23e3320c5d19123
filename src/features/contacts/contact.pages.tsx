import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { roleAtLeast } from "@/auth/roles";
import { listContactMessages, listConversations } from "@/features/conversations/conversation.service";
import { AppError, forbidden, notFound, type FieldError } from "@/lib/errors";
import { attemptForm, formFields, parseForm } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { tText } from "@/lib/i18n";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import type { Tenant } from "@/lib/tenant";
import { ContactsPage, ContactResults, NewContactFormView, type ContactFilters } from "@views/contacts/index";
import { ContactRow } from "@views/contacts/_row";
import { ContactEditForm, ContactPage, contactFormValues, type ContactForm } from "@views/contacts/show";
import { contactCreateSchema, contactListQuerySchema, contactUpdateSchema, CONTACT_LIMITS } from "./contact.schema";
import { createContact, getContact, listContacts, listTags, updateContact, deleteContact, type Contact } from "./contact.service";
import { refreshContactProfile, setContactWhatsAppBlocked } from "./contact.whatsapp";
import { identitiesOf, mergeContactByPhone } from "./identity.service";
import { listFieldDefinitions } from "./contact-field.service";

const tenantOfAdmin = (admin: AdminContext): Tenant => ({ organizationId: admin.organization.id });
const idParams = z.object({ id: z.string().max(64) });
const text = (v: unknown) => (typeof v === "string" ? v : "");

/** How many of the latest messages the contact page shows (older ones are in the conversations). */
const RECENT_MESSAGES = 20;

/** Deleting a contact deletes its history: supervisors and above only. */
const canDeleteContacts = (admin: AdminContext) => roleAtLeast(admin.role, "supervisor");

/** Filters from the query string; an invalid value is dropped rather than failing the page. */
function filtersOf(query: Record<string, unknown>): ContactFilters & { cursor?: string } {
  const parsed = contactListQuerySchema.safeParse({
    q: query.q || undefined,
    tag: query.tag || undefined,
    blocked: query.blocked || undefined,
    cursor: query.cursor || undefined,
  });
  if (!parsed.success) return {};
  return { q: parsed.data.q || undefined, tag: parsed.data.tag || undefined, blocked: parsed.data.blocked, cursor: parsed.data.cursor };
}

/** The edit form's values as posted; an unchecked checkbox is absent, which means false. */
function editValues(body: Record<string, unknown>): ContactForm["values"] {
  const on = (v: unknown) => v === "on" || v === "true" || v === "1";
  const custom = Object.fromEntries(
    Object.entries(body).flatMap(([k, v]) => (k.startsWith("customFields.") ? [[k.slice("customFields.".length), text(v)]] : [])),
  );
  return {
    name: text(body.name),
    tags: text(body.tags),
    blocked: on(body.blocked),
    optedOut: on(body.optedOut),
    document: text(body.document),
    email: text(body.email),
    address: text(body.address),
    city: text(body.city),
    state: text(body.state),
    zipCode: text(body.zipCode),
    notes: text(body.notes),
    custom,
  };
}

/** The edit form's values as the update schema reads them (custom fields as a record; "" clears one). */
function updateInput(values: ContactForm["values"]) {
  const { custom, ...rest } = values;
  return { ...rest, customFields: custom };
}

async function renderList(
  admin: AdminContext,
  csrfToken: string,
  request: Request,
  query: Record<string, unknown>,
  extra: { flash?: ReturnType<typeof takeFlash>; form?: { values: Record<string, string>; errors: FieldError[] } } = {},
) {
  const filters = filtersOf(query);
  const [page, tags] = await Promise.all([listContacts(admin, { ...filters, limit: CONTACT_LIMITS.pageDefault }), listTags(admin)]);
  if (isHtmx(request) && !extra.form) return <ContactResults contacts={page.data} nextCursor={page.nextCursor} filters={filters} />;
  return (
    <ContactsPage
      admin={admin}
      csrfToken={csrfToken}
      flash={extra.flash}
      contacts={page.data}
      nextCursor={page.nextCursor}
      filters={filters}
      tags={tags}
      form={extra.form}
    />
  );
}

async function renderContactPage(
  admin: AdminContext,
  csrfToken: string,
  contact: Contact,
  form: ContactForm,
  flash?: ReturnType<typeof takeFlash>,
  merge?: { phone: string; errors: FieldError[] },
) {
  const tenant = tenantOfAdmin(admin);
  // Blocked or not: this page is where a blocked contact's conversations and messages stay visible.
  const [rows, recent, identities, definitions] = await Promise.all([
    listConversations(admin, { status: "all", contactId: contact.id, blocked: "any", limit: 20 }),
    listContactMessages(tenant, contact.id, RECENT_MESSAGES),
    identitiesOf(contact.id),
    listFieldDefinitions(admin),
  ]);
  return (
    <ContactPage
      admin={admin}
      csrfToken={csrfToken}
      flash={flash}
      contact={contact}
      identities={identities}
      merge={merge}
      form={form}
      conversations={rows.data}
      messages={recent.reverse()}
      canDelete={canDeleteContacts(admin)}
      definitions={definitions}
    />
  );
}

/** Flags toggled from the list: block/unblock and opt-out/opt-in. */
const TOGGLES = {
  block: { blocked: true },
  unblock: { blocked: false },
  "opt-out": { optedOut: true },
  "opt-in": { optedOut: false },
} as const;

/** Admin contacts pages: list with search and tag filter, add, edit, block list, opt-out, delete. */
export const contactPages = new Elysia({ name: "contact-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get("/contacts", async ({ admin, csrfToken, cookie, request, query }) => renderList(admin, csrfToken, request, query, { flash: takeFlash(cookie) }), {
    member: "agent",
    detail: { hide: true },
  })
  .post(
    "/contacts",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const values = formFields(body);
      const raw = { phone: text(values.phone), name: text(values.name), tags: text(values.tags) };
      const parsed = parseForm(contactCreateSchema, raw);
      let errors: FieldError[] | undefined;
      let created: Contact | undefined;
      if (!parsed.ok) errors = parsed.errors;
      else {
        // A phone already saved (the service's 409) is said on the phone field.
        const result = await attemptForm(() => createContact(admin, parsed.value), {
          codes: ["conflict"],
          path: "phone",
        });
        if (result.ok) created = result.value;
        else errors = result.errors;
      }
      if (errors || !created) {
        set.status = 422;
        const form = { values: raw, errors: errors ?? [] };
        if (isHtmx(request)) return <NewContactFormView csrfToken={csrfToken} form={form} />;
        return renderList(admin, csrfToken, request, {}, { form });
      }
      setFlash(cookie, "success", tText("contacts:flash.added", { name: created.name ?? created.phone }));
      return hxRedirect(request, `/contacts/${created.id}`);
    },
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/contacts/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const contact = await getContact(admin, params.id);
      return renderContactPage(admin, csrfToken, contact, { values: contactFormValues(contact) }, takeFlash(cookie));
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/contacts/:id",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const contact = await getContact(admin, params.id);
      const values = editValues(formFields(body));
      const parsed = parseForm(contactUpdateSchema, updateInput(values));
      // Custom field values and a document already taken are checked by the service: said on their fields.
      const result = parsed.ok
        ? await attemptForm(() => updateContact(admin, contact.id, parsed.value), { codes: ["conflict", "validation_failed"], path: "document" })
        : parsed;
      if (!result.ok) {
        set.status = 422;
        const form = { values, errors: result.errors };
        if (isHtmx(request)) return <ContactEditForm contact={contact} csrfToken={csrfToken} form={form} definitions={await listFieldDefinitions(admin)} />;
        return renderContactPage(admin, csrfToken, contact, form);
      }
      const updated = result.value;
      setFlash(cookie, "success", tText("contacts:flash.saved"));
      return hxRedirect(request, `/contacts/${updated.id}`);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/contacts/:id/:toggle",
    async ({ admin, params, request, cookie }) => {
      const toggle = TOGGLES[params.toggle as keyof typeof TOGGLES];
      if (!toggle) throw new AppError("not_found", tText("contacts:errors.routeNotFound"));
      const updated = await updateContact(admin, params.id, toggle);
      if (isHtmx(request)) return <ContactRow contact={updated} />;
      setFlash(cookie, "success", tText(`contacts:flash.toggled.${params.toggle}`, { name: updated.name ?? updated.phone }));
      return hxRedirect(request, request.headers.get("referer")?.includes("/contacts/") ? `/contacts/${updated.id}` : "/contacts");
    },
    { member: "agent", params: z.object({ id: z.string().max(64), toggle: z.string().max(20) }), detail: { hide: true } },
  )
  .post(
    "/contacts/:id/whatsapp/:action",
    async ({ admin, params, request, cookie }) => {
      const contact = await getContact(admin, params.id);
      const actions: Record<string, () => Promise<unknown>> = {
        refresh: () => refreshContactProfile(admin, contact.id),
        block: () => setContactWhatsAppBlocked(admin, contact.id, { blocked: true }),
        unblock: () => setContactWhatsAppBlocked(admin, contact.id, { blocked: false }),
      };
      // An action this page does not offer is an address that does not exist.
      const act = Object.hasOwn(actions, params.action) ? actions[params.action] : undefined;
      if (!act) throw notFound();
      try {
        await act();
        setFlash(cookie, "success", tText(`contacts:whatsapp.${params.action === "refresh" ? "refreshed" : `${params.action}edFlash`}`));
      } catch (err) {
        // What WhatsApp or the instance refused (no connected instance, unsupported, provider failure) is said on the page.
        if (!(err instanceof AppError) || err.status < 400 || err.code === "not_found") throw err;
        setFlash(cookie, "error", err.message);
      }
      return hxRedirect(request, `/contacts/${contact.id}`);
    },
    { member: "agent", params: z.object({ id: z.string().max(64), action: z.string().max(32) }), detail: { hide: true } },
  )
  .post(
    "/contacts/:id/merge",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      // Merging deletes the other contact: the same role as deleting one.
      if (!canDeleteContacts(admin)) throw forbidden(tText("contacts:errors.deleteForbidden"));
      const contact = await getContact(admin, params.id);
      const phone = String(formFields(body).phone ?? "");
      const result = await attemptForm(() => mergeContactByPhone(admin, contact.id, phone));
      if (!result.ok) {
        set.status = 422;
        return renderContactPage(admin, csrfToken, contact, { values: contactFormValues(contact) }, undefined, { phone, errors: result.errors });
      }
      setFlash(cookie, "success", tText("contacts:flash.merged", { phone }));
      return hxRedirect(request, `/contacts/${contact.id}`);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/contacts/:id/delete",
    async ({ admin, params, request, cookie }) => {
      if (!canDeleteContacts(admin)) throw forbidden(tText("contacts:errors.deleteForbidden"));
      const contact = await getContact(admin, params.id);
      await deleteContact(admin, contact.id);
      setFlash(cookie, "success", tText("contacts:flash.deleted", { name: contact.name ?? contact.phone }));
      return hxRedirect(request, "/contacts");
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
