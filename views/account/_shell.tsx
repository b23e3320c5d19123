import Html, { type PropsWithChildren } from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { PublicLayout } from "../layouts/public";

export type AccountTab = "profile" | "sessions" | "two-factor";

const TABS: { key: AccountTab; href: string; label: string }[] = [
  { key: "profile", href: "/account", label: "account:tabs.profile" },
  { key: "sessions", href: "/account/sessions", label: "account:tabs.sessions" },
  { key: "two-factor", href: "/account/two-factor", label: "account:tabs.twoFactor" },
];

/**
 * Account pages keep the admin shell when the user has an active organization, the public one
 * otherwise (an account without organizations can still manage itself).
 */
export function AccountShell({
  title,
  tab,
  admin,
  csrfToken,
  flash,
  children,
}: PropsWithChildren<{ title: string; tab: AccountTab; admin?: AdminContext; csrfToken: string; flash?: Flash }>) {
  const body = (
    <>
      <h1>{t("account:title")}</h1>
      <nav class="row account-tabs" aria-label={tText("account:tabsLabel")}>
        {TABS.map((item) => (
          <a href={item.href} class={item.key === tab ? "button" : "button secondary"} aria-current={item.key === tab ? "page" : undefined}>
            {t(item.label)}
          </a>
        ))}
      </nav>
      {children}
    </>
  );
  if (admin) {
    return (
      <AdminLayout title={title} admin={admin} csrfToken={csrfToken} active="account" flash={flash}>
        {body}
      </AdminLayout>
    );
  }
  return (
    <PublicLayout title={title} csrfToken={csrfToken} flash={flash} wide>
      {body}
    </PublicLayout>
  );
}

/** The user's picture, or their initials on a colour derived from the email when they set none. */
export function Avatar({ name, email, url, size = 40 }: { name: string; email: string; url: string | null; size?: number }) {
  const style = `width:${size}px;height:${size}px;border-radius:50%;flex:none`;
  if (url) return <img src={Html.escapeHtml(url)} alt="" width={String(size)} height={String(size)} style={`${style};object-fit:cover`} />;
  const initials = (name.trim() || email)
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
  let hue = 0;
  for (const ch of email) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return (
    <span
      aria-hidden="true"
      class="avatar"
      style={`${style};display:inline-flex;align-items:center;justify-content:center;background:hsl(${hue} 55% 45%);color:#fff;font-weight:600;font-size:${Math.round(size * 0.4)}px`}
      safe
    >
      {initials}
    </span>
  );
}
