import Html from "@kitajs/html";
import { t, tText } from "@/lib/i18n";
import { Badge, Time } from "../components/ui";

export type ContactPanelView = {
  conversationId: string;
  contact: { id: string; name: string | null; phone: string | null; tags: string[]; metadata: Record<string, unknown>; createdAt: Date };
  previous: {
    id: string;
    status: "open" | "pending" | "resolved";
    instanceName: string;
    lastMessageAt: Date | null;
    resolvedAt: Date | null;
    resolutionReason: string | null;
  }[];
  nps: { score: number; category: string | null; comment: string | null; answeredAt: Date | null; agentName: string | null }[];
};

const NPS_TONE: Record<string, "ok" | "warn" | "bad"> = { promoter: "ok", neutral: "warn", detractor: "bad" };

/** A contact field's value as text (objects as compact JSON). */
function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * The contact beside the conversation: fields, tags, the conversation's labels (a box of its own that
 * htmx loads), the contact's other conversations and resolutions, NPS answers, and opening a complaint.
 * Reloads itself when the live stream reports a change.
 */
export function ContactPanel({ panel }: { panel: ContactPanelView }) {
  const c = panel.contact;
  const fields = Object.entries(c.metadata).filter(([, v]) => v !== null && v !== undefined && v !== "");
  const url = `/inbox/${panel.conversationId}/panel`;
  return (
    <aside id="contact-panel" class="contact-panel" aria-label={tText("inbox:panel.label")} hx-get={url} hx-trigger="inbox:refresh" hx-swap="outerHTML">
      <h2 class="truncate" safe>
        {c.name || c.phone || tText("contacts:noName")}
      </h2>
      <p class="small muted">
        <a href={`/contacts/${c.id}`} safe>
          {c.phone ?? tText("inbox:panel.openContact")}
        </a>
        {" · "}
        {t("inbox:panel.since")} <Time at={c.createdAt} />
      </p>
      <section>
        <h3>{t("inbox:panel.labels")}</h3>
        <div hx-get={`/inbox/${panel.conversationId}/labels`} hx-trigger="load" hx-swap="outerHTML" />
      </section>
      {c.tags.length > 0 ? (
        <section>
          <h3>{t("inbox:panel.tags")}</h3>
          <p class="row wrap">
            {c.tags.map((tag) => (
              <span class="badge badge-muted truncate" safe>
                {tag}
              </span>
            ))}
          </p>
        </section>
      ) : (
        ""
      )}
      {fields.length > 0 ? (
        <section>
          <h3>{t("inbox:panel.fields")}</h3>
          <dl class="panel-fields">
            {fields.map(([k, v]) => (
              <>
                <dt class="truncate" safe>
                  {k}
                </dt>
                <dd class="truncate" title={fieldText(v)} safe>
                  {fieldText(v)}
                </dd>
              </>
            ))}
          </dl>
        </section>
      ) : (
        ""
      )}
      <section>
        <h3>{t("inbox:panel.previous")}</h3>
        {panel.previous.length === 0 ? (
          <p class="small muted">{t("inbox:panel.noPrevious")}</p>
        ) : (
          <ul class="panel-list">
            {panel.previous.map((p) => (
              <li>
                <a href={`/inbox/${p.id}`}>
                  <Badge tone={p.status === "resolved" ? "muted" : "warn"}>{t(`inbox:status.${p.status}`)}</Badge>{" "}
                  <span class="small truncate" safe>
                    {p.instanceName}
                  </span>{" "}
                  <span class="small muted">
                    <Time at={p.resolvedAt ?? p.lastMessageAt} />
                  </span>
                </a>
                {p.resolutionReason ? (
                  <p class="small muted truncate" safe>
                    {p.resolutionReason}
                  </p>
                ) : (
                  ""
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3>{t("inbox:panel.nps")}</h3>
        {panel.nps.length === 0 ? (
          <p class="small muted">{t("inbox:panel.noNps")}</p>
        ) : (
          <ul class="panel-list">
            {panel.nps.map((n) => (
              <li class="nps-answer">
                <Badge tone={NPS_TONE[n.category ?? ""] ?? "muted"}>{Html.escapeHtml(String(n.score))}</Badge>{" "}
                <span class="small muted">
                  <Time at={n.answeredAt} />
                </span>
                {n.agentName ? <span class="small muted truncate" safe>{` · ${n.agentName}`}</span> : ""}
                {n.comment ? (
                  <p class="small" safe>
                    {n.comment}
                  </p>
                ) : (
                  ""
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <p>
        <a href={`/complaints/new?conversationId=${panel.conversationId}`} class="button secondary small-button">
          {t("complaints:openFromConversation")}
        </a>
        <a href={`/sales/leads/new?conversationId=${panel.conversationId}`} class="button secondary small-button">
          {t("sales:createFromConversation")}
        </a>
        <a href={`/collections/promises?conversationId=${panel.conversationId}`} class="button secondary small-button">
          {t("collections:fromConversation")}
        </a>
      </p>
    </aside>
  );
}

/** Where the panel goes in the conversation pane: loaded after the page so opening a conversation stays fast. */
export function ContactPanelSlot({ conversationId }: { conversationId: string }) {
  return <aside id="contact-panel" class="contact-panel" hx-get={`/inbox/${conversationId}/panel`} hx-trigger="load" hx-swap="outerHTML" />;
}

/**
 * The unread count for the navigation badge; static/inbox-unread.js keeps it (and the tab title) live.
 * `renderedAt`: when the count was read (ms), for the stream to catch up on what changed since.
 */
export function UnreadBadge({ count, cap, renderedAt }: { count: number; cap: number; renderedAt: number }) {
  const shown = count >= cap ? `${cap - 1}+` : String(count);
  return (
    <>
      <span
        id="inbox-unread"
        class="badge badge-warn"
        data-count={String(count)}
        data-stream={`/inbox/unread/stream?since=${renderedAt}`}
        title={tText("inbox:unread.title")}
        hidden={count === 0}
        safe
      >
        {shown}
      </span>
      <script src="/static/inbox-unread.js" defer></script>
    </>
  );
}
