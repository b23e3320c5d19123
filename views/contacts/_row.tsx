import type { Contact } from "@/features/contacts/contact.service";
import { t, tText } from "@/lib/i18n";
import { Badge, Time } from "../components/ui";

/** Tags as small badges; each links to the list filtered by it. */
export function TagList({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span class="muted">—</span>;
  return (
    <span class="tags">
      {tags.map((tag) => (
        <a class="badge" href={`/contacts?tag=${encodeURIComponent(tag)}`} safe>
          {tag}
        </a>
      ))}
    </span>
  );
}

export function ContactFlags({ contact }: { contact: Contact }) {
  return (
    <>
      {contact.blocked ? <Badge tone="bad">{t("contacts:flags.blocked")}</Badge> : ""}
      {contact.optedOut ? <Badge tone="warn">{t("contacts:flags.optedOut")}</Badge> : ""}
      {!contact.blocked && !contact.optedOut ? <Badge tone="ok">{t("contacts:flags.active")}</Badge> : ""}
    </>
  );
}

/** One contacts table row; block/unblock swaps the row in place (htmx) or redirects back. */
export function ContactRow({ contact }: { contact: Contact }) {
  const id = `contact-${contact.id}`;
  return (
    <tr id={id}>
      <td data-label={tText("contacts:fields.name")}>
        <a href={`/contacts/${contact.id}`} safe>
          {contact.name || tText("contacts:noName")}
        </a>
      </td>
      <td data-label={tText("contacts:fields.phone")} class="nowrap" safe>
        {contact.phone ?? (contact.kind === "group" ? tText("contacts:kinds.group") : "")}
      </td>
      <td data-label={tText("contacts:fields.tags")}>
        <TagList tags={contact.tags} />
      </td>
      <td data-label={tText("contacts:fields.status")}>
        <ContactFlags contact={contact} />
      </td>
      <td data-label={tText("contacts:fields.lastInteraction")}>
        <Time at={contact.lastInteractionAt} />
      </td>
      <td data-label={tText("contacts:fields.actions")} class="actions">
        <form
          method="post"
          action={`/contacts/${contact.id}/${contact.blocked ? "unblock" : "block"}`}
          hx-post={`/contacts/${contact.id}/${contact.blocked ? "unblock" : "block"}`}
          hx-target={`#${id}`}
          hx-swap="outerHTML"
        >
          <button type="submit" class={contact.blocked ? "secondary small-button" : "danger small-button"}>
            {t(contact.blocked ? "contacts:row.unblock" : "contacts:row.block")}
          </button>
        </form>
        <a class="button secondary small-button" href={`/contacts/${contact.id}`}>
          {t("common:actions.edit")}
        </a>
      </td>
    </tr>
  );
}
