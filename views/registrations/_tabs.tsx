/** Sub-navigation of the platform administration pages. */
export function PlatformTabs({ active }: { active: "users" | "registrations" }) {
  const tab = (key: "users" | "registrations", href: string, label: string) => (
    <a href={href} class={active === key ? "button" : "button secondary"} aria-current={active === key ? "page" : undefined} safe>
      {label}
    </a>
  );
  return (
    <nav aria-label="Platform" style="display:flex;gap:.5rem;margin-bottom:1rem">
      {tab("users", "/platform/users", "Users")}
      {tab("registrations", "/platform/registrations", "Sign-up requests")}
    </nav>
  );
}
