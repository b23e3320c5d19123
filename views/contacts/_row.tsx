import type { Contact } from "@/features/contacts/contact.service";
import { Badge, Time } from "../components/ui";

/** Tags as small badges; each links to the list filtered by it. */
export function TagList({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span class="muted">—</span>;
  return (
    <span class="tags">
      {tags.map((t) => (
        <a class="badge" href={`/contacts?tag=${encodeURIComponent(t)}`} safe>
          {t}
        </a>
      ))}
    </span>
  );
}

export function ContactFlags({ contact }: { contact: Contact }) {
  return (
    <>
      {contact.blocked ? <Badge tone="bad">blocked</Badge> : ""}
      {contact.optedOut ? <Badge tone="warn">opted out</Badge> : ""}
      {!contact.blocked && !contact.optedOut ? <Badge tone="ok">active</Badge> : ""}
    </>
  );
}

/** One contacts table row; block/unblock swaps the row in place (htmx) or redirects back. */
export function ContactRow({ contact }: { contact: Contact }) {
  const id = `contact-${contact.id}`;
  return (
    <tr id={id}>
      <td data-label="Name">
        <a href={`/contacts/${contact.id}`} safe>
          {contact.name || "(no name)"}
        </a>
      </td>
      <td data-label="Phone" class="nowrap" safe>
        {contact.phone}
      </td>
      <td data-label="Tags">
        <TagList tags={contact.tags} />
      </td>
      <td data-label="Status">
        <ContactFlags contact={contact} />
      </td>
      <td data-label="Last interaction">
        <Time at={contact.lastInteractionAt} />
      </td>
      <td data-label="Actions" class="actions">
        <form method="post" action={`/contacts/${contact.id}/${contact.blocked ? "unblock" : "block"}`} hx-post={`/contacts/${contact.id}/${contact.blocked ? "unblock" : "block"}`} hx-target={`#${id}`} hx-swap="outerHTML">
          <button type="submit" class={contact.blocked ? "secondary small-button" : "danger small-button"}>
            {contact.blocked ? "Unblock" : "Block"}
          </button>
        </form>
        <a class="button secondary small-button" href={`/contacts/${contact.id}`}>
          Edit
        </a>
      </td>
    </tr>
  );
}
