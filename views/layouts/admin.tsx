import type { PropsWithChildren } from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import type { Flash } from "@/lib/flash";
import { FlashMessage } from "../components/ui";
import { Document } from "./document";

type NavItem = { href: string; label: string; key: string; visible?: (a: AdminContext) => boolean };

const NAV: NavItem[] = [
  { href: "/", label: "Dashboard", key: "dashboard" },
  { href: "/inbox", label: "Inbox", key: "inbox" },
  { href: "/instances", label: "Instances", key: "instances" },
  { href: "/contacts", label: "Contacts", key: "contacts" },
  { href: "/templates", label: "Templates", key: "templates" },
  { href: "/triggers", label: "Triggers", key: "triggers" },
  { href: "/flows", label: "Flows", key: "flows" },
  { href: "/workflows", label: "Workflows", key: "workflows" },
  { href: "/webhooks", label: "Webhooks", key: "webhooks", visible: (a) => can.manageWebhooks(a.role) },
  { href: "/events", label: "Events", key: "events" },
  { href: "/usage", label: "Usage", key: "usage" },
  { href: "/api-keys", label: "API keys", key: "api-keys", visible: (a) => can.manageKeys(a.role) },
  { href: "/devices", label: "Devices", key: "devices", visible: (a) => can.manageDevices(a.role) },
  { href: "/members", label: "Members", key: "members" },
  { href: "/audit", label: "Audit log", key: "audit", visible: (a) => can.viewAudit(a.role) },
  { href: "/settings", label: "Settings", key: "settings" },
  { href: "/platform/users", label: "Platform", key: "platform", visible: (a) => a.user.isPlatformAdmin },
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
        <form method="post" action="/organizations/switch" class="org-switcher" hx-post="/organizations/switch" hx-trigger="change" hx-target="body" hx-swap="none">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label for="org-switch" class="sr-only">
            Organization
          </label>
          <select id="org-switch" name="organizationId">
            {admin.organizations.map((o) => (
              <option value={o.id} selected={o.id === admin.organization.id} safe>
                {o.name}
              </option>
            ))}
          </select>
          <noscript>
            <button type="submit">Switch</button>
          </noscript>
        </form>
        <label for="nav-open" class="nav-button">
          Menu
        </label>
        <a href="/organizations/new" class="muted small new-org">
          + New organization
        </a>
        <span class="spacer" />
        <a href="/account" class="user small" title={`${admin.user.email}: your account`} aria-current={active === "account" ? "page" : undefined} safe>
          {admin.user.name || admin.user.email}
        </a>
        <form method="post" action="/logout">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <button type="submit" class="link">
            Sign out
          </button>
        </form>
      </header>
      <div class="shell">
        {/* Phones hide the navigation behind the top bar's Menu label; the checkbox keeps it CSS-only (no script, no flash of an open menu). */}
        <input type="checkbox" id="nav-open" class="nav-toggle" aria-controls="main-nav" />
        <nav class="sidenav" id="main-nav" aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.visible || n.visible(admin)).map((n) => (
              <li>
                <a href={n.href} class={n.key === active ? "active" : undefined} aria-current={n.key === active ? "page" : undefined} safe>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main">
          <FlashMessage flash={flash} />
          {children}
        </main>
      </div>
    </Document>
  );
}
