import type { PropsWithChildren } from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import { can, roleAtLeast } from "@/auth/roles";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { FlashMessage } from "../components/ui";
import { Document } from "./document";

/** `label` is a shell:nav key: read per request, in the reader's language. */
/** `badge`: a fragment URL whose answer (a count) follows the label, fetched after the page loads. */
type NavItem = { href: string; label: string; key: string; visible?: (a: AdminContext) => boolean; badge?: string };

const NAV: NavItem[] = [
  { href: "/", label: "shell:nav.dashboard", key: "dashboard" },
  { href: "/inbox", label: "shell:nav.inbox", key: "inbox", badge: "/inbox/unread" },
  { href: "/monitor", label: "monitor:nav", key: "monitor", visible: (a) => can.superviseConversations(a.role) },
  { href: "/satisfaction", label: "satisfaction:nav", key: "satisfaction", visible: (a) => can.superviseConversations(a.role) },
  { href: "/reports", label: "reports:nav", key: "reports", visible: (a) => can.superviseConversations(a.role) },
  { href: "/gamification", label: "gamification:nav", key: "gamification" },
  { href: "/instances", label: "shell:nav.instances", key: "instances" },
  { href: "/contacts", label: "shell:nav.contacts", key: "contacts" },
  { href: "/campaigns", label: "campaigns:nav", key: "campaigns", visible: (a) => roleAtLeast(a.role, "supervisor") },
  { href: "/templates", label: "shell:nav.templates", key: "templates" },
  { href: "/canned-replies", label: "shell:nav.cannedReplies", key: "canned-replies" },
  { href: "/labels", label: "shell:nav.labels", key: "labels" },
  { href: "/complaints", label: "shell:nav.complaints", key: "complaints" },
  { href: "/sales", label: "sales:nav", key: "sales" },
  { href: "/collections/promises", label: "collections:nav", key: "collections" },
  { href: "/outages", label: "outages:nav", key: "outages" },
  { href: "/departments", label: "departments:nav", key: "departments", visible: (a) => roleAtLeast(a.role, "supervisor") },
  { href: "/business-hours", label: "shell:nav.businessHours", key: "business-hours", visible: (a) => roleAtLeast(a.role, "supervisor") },
  { href: "/availability", label: "shell:nav.availability", key: "availability", visible: (a) => roleAtLeast(a.role, "supervisor") },
  { href: "/triggers", label: "shell:nav.triggers", key: "triggers" },
  { href: "/flows", label: "shell:nav.flows", key: "flows" },
  { href: "/workflows", label: "shell:nav.workflows", key: "workflows" },
  { href: "/learning", label: "suggestions:nav", key: "learning", visible: (a) => can.manageAutomation(a.role) },
  { href: "/agent-chats", label: "agent-chats:title", key: "agent-chats", badge: "/agent-chats/unread" },
  { href: "/tools", label: "shell:nav.tools", key: "tools" },
  { href: "/knowledge", label: "shell:nav.knowledge", key: "knowledge" },
  { href: "/webhooks", label: "shell:nav.webhooks", key: "webhooks", visible: (a) => can.manageWebhooks(a.role) },
  { href: "/events", label: "shell:nav.events", key: "events" },
  { href: "/usage", label: "shell:nav.usage", key: "usage" },
  { href: "/api-keys", label: "shell:nav.apiKeys", key: "api-keys", visible: (a) => can.manageKeys(a.role) },
  { href: "/devices", label: "shell:nav.devices", key: "devices", visible: (a) => can.manageDevices(a.role) },
  { href: "/members", label: "shell:nav.members", key: "members" },
  { href: "/audit", label: "shell:nav.audit", key: "audit", visible: (a) => can.viewAudit(a.role) },
  { href: "/announcements", label: "shell:nav.announcements", key: "announcements", visible: (a) => can.manageAnnouncements(a.role) },
  { href: "/settings", label: "shell:nav.settings", key: "settings" },
  { href: "/platform/users", label: "shell:nav.platform", key: "platform", visible: (a) => a.user.isPlatformAdmin },
];

type Props = PropsWithChildren<{
  title: string;
  admin: AdminContext;
  csrfToken: string;
  active?: string;
  flash?: Flash;
}>;

/** The admin shell: top bar with organization switcher, navigation, flash area, page content. */
export function AdminLayout({ title, admin, csrfToken, active, flash, children }: Props) {
  return (
    <Document title={title} csrfToken={csrfToken}>
      <header class="topbar">
        <a href="/" class="brand">
          LivChat
        </a>
        <form
          method="post"
          action="/organizations/switch"
          class="org-switcher"
          hx-post="/organizations/switch"
          hx-trigger="change"
          hx-target="body"
          hx-swap="none"
        >
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label for="org-switch" class="sr-only">
            {t("shell:topbar.organization")}
          </label>
          <select id="org-switch" name="organizationId">
            {admin.organizations.map((o) => (
              <option value={o.id} selected={o.id === admin.organization.id} safe>
                {o.name}
              </option>
            ))}
          </select>
          <noscript>
            <button type="submit">{t("shell:topbar.switch")}</button>
          </noscript>
        </form>
        <label for="nav-open" class="nav-button">
          {t("shell:topbar.menu")}
        </label>
        <a href="/organizations/new" class="muted small new-org">
          {t("shell:topbar.newOrganization")}
        </a>
        <span class="spacer" />
        {/* The member's availability switch (availability feature; availability.js keeps it live and sends activity heartbeats). */}
        <span id="availability-control" hx-get="/availability/control" hx-trigger="load" hx-swap="outerHTML" />
        <script src="/static/availability.js" defer></script>
        <a
          href="/account"
          class="user small"
          title={tText("shell:topbar.yourAccount", { email: admin.user.email })}
          aria-current={active === "account" ? "page" : undefined}
          safe
        >
          {admin.user.name || admin.user.email}
        </a>
        <form method="post" action="/logout">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <button type="submit" class="link">
            {t("common:actions.signOut")}
          </button>
        </form>
      </header>
      <div class="shell">
        {/* Phones hide the navigation behind the top bar's Menu label; the checkbox keeps it CSS-only (no script, no flash of an open menu). */}
        <input type="checkbox" id="nav-open" class="nav-toggle" aria-controls="main-nav" />
        <nav class="sidenav" id="main-nav" aria-label={tText("shell:nav.label")}>
          <ul>
            {NAV.filter((n) => !n.visible || n.visible(admin)).map((n) => (
              <li>
                <a href={n.href} class={n.key === active ? "active" : undefined} aria-current={n.key === active ? "page" : undefined}>
                  {t(n.label)}
                  {n.badge ? <span class="nav-badge" hx-get={n.badge} hx-trigger="load, every 60s" hx-swap="innerHTML" /> : ""}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main">
          {/* Team announcements for this member (the announcements feature renders them; dismissed ones stay gone). */}
          <div id="announcements" class="announcements" hx-get="/announcements/banner" hx-trigger="load" hx-swap="innerHTML" />
          <FlashMessage flash={flash} />
          {children}
        </main>
      </div>
    </Document>
  );
}
