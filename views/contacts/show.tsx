import type { AdminContext } from "@/auth/plugin";
import { CONTACT_LIMITS } from "@/features/contacts/contact.schema";
import type { Contact } from "@/features/contacts/contact.service";
import type { ConversationRow, Message } from "@/features/conversations/conversation.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, Time, fieldError } from "../components/ui";
import { MessageBubble, previewText } from "../inbox/_message";
import { ContactFlags } from "./_row";
import { ContactDetailFields, type ContactDetailValues } from "./_details";
import { formatDocument, formatZipCode } from "@/features/contacts/contact-fields";
import type { FieldDefinition } from "@/features/contacts/contact-field.service";

export type ContactForm = { values: { name: string; tags: string; blocked: boolean; optedOut: boolean } & ContactDetailValues; errors?: FieldError[] };

export function contactFormValues(c: Contact): ContactForm["values"] {
  return {
    name: c.name ?? "",
    tags: c.tags.join(", "),
    blocked: c.blocked,
    optedOut: c.optedOut,
    document: formatDocument(c.document),
    email: c.email ?? "",
    address: c.address ?? "",
    city: c.city ?? "",
    state: c.state ?? "",
    zipCode: formatZipCode(c.zipCode),
    notes: c.notes ?? "",
    custom: Object.fromEntries(Object.entries(c.customFields).map(([k, v]) => [k, String(v)])),
  };
}

/** The edit form; posted plainly or by htmx, re-rendered with field errors (422). */
export function ContactEditForm({
  contact,
  csrfToken,
  form,
  definitions = [],
}: {
  contact: Contact;
  csrfToken: string;
  form: ContactForm;
  definitions?: readonly Pick<FieldDefinition, "key" | "label" | "type">[];
}) {
  const v = form.values;
  const flagError = fieldError(form.errors, "blocked") ?? fieldError(form.errors, "optedOut");
  return (
    <form
      id="contact-form"
      method="post"
      action={`/contacts/${contact.id}`}
      hx-post={`/contacts/${contact.id}`}
      hx-target="#contact-form"
      hx-swap="outerHTML"
      class="card"
    >
      <CsrfField token={csrfToken} />
      <Field label={tText("contacts:fields.name")} name="name" value={v.name} errors={form.errors} maxlength={CONTACT_LIMITS.nameMax} />
      <Field
        label={tText("contacts:fields.tags")}
        name="tags"
        value={v.tags}
        errors={form.errors}
        hint={tText("contacts:fields.tagsHint")}
        maxlength={CONTACT_LIMITS.tagMax * CONTACT_LIMITS.tagsMax}
      />
      <ContactDetailFields values={v} errors={form.errors} definitions={definitions} />
      <div class="field">
        <label class="check">
          <input type="checkbox" name="blocked" value="on" checked={v.blocked} /> {t("contacts:show.blockedLabel")}
        </label>
        <label class="check">
          <input type="checkbox" name="optedOut" value="on" checked={v.optedOut} /> {t("contacts:show.optedOutLabel")}
        </label>
        {flagError ? (
          <small class="error" safe>
            {flagError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="row">
        <button type="submit">{t("common:actions.save")}</button>
      </div>
    </form>
  );
}

type Props = {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  contact: Contact;
  /** Its WhatsApp identities besides the phone (LID, business-scoped user id, username, group id). */
  identities?: { kind: "lid" | "bsuid" | "username" | "group"; value: string }[];
  /** The merge form as last posted, with its errors. */
  merge?: { phone: string; errors: FieldError[] };
  form: ContactForm;
  conversations: ConversationRow[];
  /** The latest messages, oldest first. */
  messages: Message[];
  canDelete: boolean;
  /** The organization's custom contact fields, for the edit form. */
  definitions?: readonly Pick<FieldDefinition, "key" | "label" | "type">[];
};

/** WhatsApp's side of a person: the fetched picture, a refresh, and the block on WhatsApp itself (apart from LivChat's). */
function WhatsAppSide({ contact, csrfToken }: { contact: Contact; csrfToken: string }) {
  return (
    <section class="card" id="whatsapp-side">
      {contact.pictureUrl ? <img src={contact.pictureUrl} alt="" width="96" height="96" /> : ""}
      {contact.whatsappBlocked ? <Badge tone="bad">{t("contacts:whatsapp.blockedBadge")}</Badge> : ""}
      {contact.profileFetchedAt ? (
        <p class="muted small">
          {t("contacts:whatsapp.fetchedAt")} <Time at={contact.profileFetchedAt} />
        </p>
      ) : (
        ""
      )}
      <form method="post" action={`/contacts/${contact.id}/whatsapp/refresh`} class="inline">
        <CsrfField token={csrfToken} />
        <button type="submit">{t("contacts:whatsapp.refresh")}</button>
      </form>{" "}
      <form method="post" action={`/contacts/${contact.id}/whatsapp/${contact.whatsappBlocked ? "unblock" : "block"}`} class="inline">
        <CsrfField token={csrfToken} />
        <button type="submit">{t(contact.whatsappBlocked ? "contacts:whatsapp.unblock" : "contacts:whatsapp.block")}</button>
      </form>
      <p class="muted small">{t("contacts:whatsapp.blockHint")}</p>
    </section>
  );
}

export function ContactPage({ admin, csrfToken, flash, contact, identities = [], merge, form, conversations, messages, canDelete, definitions = [] }: Props) {
  return (
    <AdminLayout title={contact.name || contact.phone || tText("contacts:noName")} admin={admin} csrfToken={csrfToken} active="contacts" flash={flash}>
      <link rel="stylesheet" href="/static/inbox.css" />
      <p>
        <a href="/contacts">{t("contacts:show.back")}</a>
      </p>
      <h1 safe>{contact.name || contact.phone || tText("contacts:noName")}</h1>
      <p class="row">
        <span class="nowrap" safe>
          {contact.phone}
        </span>
        {contact.kind === "group" ? <Badge tone="muted">{t("contacts:kinds.group")}</Badge> : ""}
        <ContactFlags contact={contact} />
        <span class="muted small">
          {t("contacts:show.added")} <Time at={contact.createdAt} />
        </span>
      </p>
      {identities.length ? (
        <dl class="identities small">
          <dt>{t("contacts:identities")}</dt>
          {identities.map((i) => (
            <dd>
              <span class="muted">{t(`contacts:identity.${i.kind}`)}</span> <code safe>{i.value}</code>
            </dd>
          ))}
        </dl>
      ) : (
        ""
      )}
      <ContactEditForm contact={contact} csrfToken={csrfToken} form={form} definitions={definitions} />
      {contact.kind === "person" && contact.phone ? <WhatsAppSide contact={contact} csrfToken={csrfToken} /> : ""}
      <h2>{t("contacts:show.conversations")}</h2>
      {conversations.length === 0 ? (
        <EmptyState>{t("contacts:show.noConversations")}</EmptyState>
      ) : (
        <ul class="plain-list">
          {conversations.map((row) => (
            <li>
              <a href={`/inbox/${row.conversation.id}`} safe>
                {row.instance.name}
              </a>{" "}
              <Badge tone={row.conversation.status === "resolved" ? "muted" : "ok"}>{t(`inbox:status.${row.conversation.status}`)}</Badge>{" "}
              <span class="muted small" safe>
                {previewText(row.conversation.lastMessagePreview)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h2>{t("contacts:show.recentMessages")}</h2>
      {contact.blocked ? <p class="muted small">{t("contacts:show.blockedMessages")}</p> : ""}
      {messages.length === 0 ? (
        <EmptyState>{t("contacts:show.noMessages")}</EmptyState>
      ) : (
        <div id="contact-messages" class="messages card">
          {messages.map((m) => (
            <MessageBubble message={m} />
          ))}
        </div>
      )}
      {canDelete && contact.kind === "person" ? (
        <form method="post" action={`/contacts/${contact.id}/merge`} class="card" id="merge-form">
          <CsrfField token={csrfToken} />
          <h2>{t("contacts:merge.title")}</h2>
          <p class="small muted">{t("contacts:merge.hint")}</p>
          <Field label={tText("contacts:merge.phone")} name="phone" type="tel" value={merge?.phone ?? ""} errors={merge?.errors} required maxlength={40} />
          <button type="submit" data-confirm={tText("contacts:merge.confirm")}>
            {t("contacts:merge.submit")}
          </button>
        </form>
      ) : (
        ""
      )}
      {canDelete ? (
        <form method="post" action={`/contacts/${contact.id}/delete`} class="danger-zone card">
          <CsrfField token={csrfToken} />
          <p class="small">{t("contacts:show.deleteWarning")}</p>
          <button type="submit" class="danger" data-confirm={tText("contacts:show.deleteConfirm")}>
            {t("contacts:show.delete")}
          </button>
        </form>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
