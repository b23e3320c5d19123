import { t, tText } from "@/lib/i18n";

/** Sub-navigation of the platform administration pages. */
export function PlatformTabs({ active }: { active: "users" | "registrations" }) {
  const tab = (key: "users" | "registrations", href: string) => (
    <a href={href} class={active === key ? "button" : "button secondary"} aria-current={active === key ? "page" : undefined}>
      {t(`registrations:tabs.${key}`)}
    </a>
  );
  return (
    <nav aria-label={tText("registrations:tabsLabel")} style="display:flex;gap:.5rem;margin-bottom:1rem">
      {tab("users", "/platform/users")}
      {tab("registrations", "/platform/registrations")}
    </nav>
  );
}
