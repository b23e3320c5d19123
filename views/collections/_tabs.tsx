import { t } from "@/lib/i18n";

const TABS = [
  { key: "promises", href: "/collections/promises" },
  { key: "targets", href: "/collections/targets" },
  { key: "crm", href: "/collections/crm-syncs" },
  { key: "settings", href: "/collections/settings" },
] as const;

/** The collections pages' sub-navigation. */
export function CollectionsTabs({ active }: { active: (typeof TABS)[number]["key"] }) {
  return (
    <nav class="row wrap" aria-label={t("collections:nav") as string}>
      {TABS.map((tab) => (
        <a
          href={tab.href}
          aria-current={tab.key === active ? "page" : undefined}
          class={tab.key === active ? "button small-button" : "button secondary small-button"}
        >
          {t(`collections:tabs.${tab.key}`)}
        </a>
      ))}
    </nav>
  );
}
