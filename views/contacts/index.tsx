import type { AdminContext } from "@/auth/plugin";
import { CONTACT_LIMITS } from "@/features/contacts/contact.schema";
import type { Contact } from "@/features/contacts/contact.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, EmptyState, Field } from "../components/ui";
import { ContactRow } from "./_row";

export type ContactFilters = { q?: string; tag?: string; blocked?: "true" | "false" };

function queryString(filters: ContactFilters, cursor?: string | null): string {
  const params = new URLSearchParams();
  if (filters.q) params.set("q", filters.q);
  if (filters.tag) params.set("tag", filters.tag);
  if (filters.blocked) params.set("blocked", filters.blocked);
  if (cursor) params.set("cursor", cursor);
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** The table and its pager; also the htmx fragment answering search/filter changes. */
export function ContactResults({ contacts, nextCursor, filters }: { contacts: Contact[]; nextCursor: string | null; filters: ContactFilters }) {
  return (
    <div id="contact-results">
      {contacts.length === 0 ? (
        <EmptyState>{t(filters.q || filters.tag || filters.blocked ? "contacts:empty.filtered" : "contacts:empty.none")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("contacts:fields.name")}</th>
                <th>{t("contacts:fields.phone")}</th>
                <th>{t("contacts:fields.tags")}</th>
                <th>{t("contacts:fields.status")}</th>
                <th>{t("contacts:fields.lastInteraction")}</th>
                <th>
                  <span class="sr-only">{t("contacts:fields.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {contacts.map((c) => (
                <ContactRow contact={c} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <p>
          <a class="button secondary" href={`/contacts${queryString(filters, nextCursor)}`}>
            {t("contacts:nextPage")}
          </a>
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

export type NewContactForm = { values?: Record<string, string>; errors?: FieldError[] };

/** "Add contact" form; re-rendered with field errors (422). */
export function NewContactFormView({ csrfToken, form }: { csrfToken: string; form?: NewContactForm }) {
  const v = form?.values ?? {};
  return (
    <details id="new-contact" class="card" open={!!form?.errors}>
      <summary>{t("contacts:add.summary")}</summary>
      <form method="post" action="/contacts" hx-post="/contacts" hx-target="#new-contact" hx-swap="outerHTML" class="form-grid">
        <CsrfField token={csrfToken} />
        <Field
          label={tText("contacts:fields.phone")}
          name="phone"
          value={v.phone}
          errors={form?.errors}
          required
          maxlength={40}
          placeholder="+5511999990001"
          autocomplete="off"
        />
        <Field label={tText("contacts:fields.name")} name="name" value={v.name} errors={form?.errors} maxlength={CONTACT_LIMITS.nameMax} />
        <Field
          label={tText("contacts:fields.tags")}
          name="tags"
          value={v.tags}
          errors={form?.errors}
          hint={tText("contacts:fields.tagsHint")}
          maxlength={CONTACT_LIMITS.tagMax * CONTACT_LIMITS.tagsMax}
        />
        <div class="row">
          <button type="submit">{t("contacts:add.submit")}</button>
        </div>
      </form>
    </details>
  );
}

type Props = {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  contacts: Contact[];
  nextCursor: string | null;
  filters: ContactFilters;
  tags: string[];
  form?: NewContactForm;
};

export function ContactsPage(props: Props) {
  const { filters } = props;
  return (
    <AdminLayout title={tText("contacts:title")} admin={props.admin} csrfToken={props.csrfToken} active="contacts" flash={props.flash}>
      <link rel="stylesheet" href="/static/inbox.css" />
      <h1>{t("contacts:title")}</h1>
      <p class="row">
        <a href="/contacts/import">{t("contacts:book.import.title")}</a>
        <a href="/segments">{t("segments:title")}</a>
        <a href="/contacts/fields">{t("contacts:book.customFields.title")}</a>
      </p>
      <NewContactFormView csrfToken={props.csrfToken} form={props.form} />
      {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for the browsers our users keep; role="search" says the same. */}
      <form
        method="get"
        action="/contacts"
        class="filters row"
        role="search"
        hx-get="/contacts"
        hx-target="#contact-results"
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-trigger="submit, input changed delay:300ms from:#contact-q, change from:#contact-tag, change from:#contact-blocked"
      >
        <label for="contact-q" class="sr-only">
          {t("contacts:filters.search")}
        </label>
        <input
          id="contact-q"
          type="search"
          name="q"
          value={filters.q ?? ""}
          placeholder={tText("contacts:filters.searchPlaceholder")}
          maxlength={CONTACT_LIMITS.searchMax}
        />
        <label for="contact-tag" class="sr-only">
          {t("contacts:filters.tag")}
        </label>
        <select id="contact-tag" name="tag">
          <option value="">{t("contacts:filters.allTags")}</option>
          {props.tags.map((tag) => (
            <option value={tag} selected={filters.tag === tag} safe>
              {tag}
            </option>
          ))}
        </select>
        <label for="contact-blocked" class="sr-only">
          {t("contacts:filters.blockList")}
        </label>
        <select id="contact-blocked" name="blocked">
          <option value="">{t("contacts:filters.everyone")}</option>
          <option value="true" selected={filters.blocked === "true"}>
            {t("contacts:filters.blockedOnly")}
          </option>
          <option value="false" selected={filters.blocked === "false"}>
            {t("contacts:filters.notBlocked")}
          </option>
        </select>
        <button type="submit" class="secondary">
          {t("contacts:filters.submit")}
        </button>
      </form>
      <ContactResults contacts={props.contacts} nextCursor={props.nextCursor} filters={filters} />
    </AdminLayout>
  );
}
