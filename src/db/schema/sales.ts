import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { organizations } from "./tenancy";

/** Seed 002 `sales_plans`: the catalogue a lead is interested in (name, monthly price in cents, description). */
export const salesPlans = pgTable(
  "sales_plans",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    priceCents: integer().notNull(),
    description: text(),
    /** An inactive plan stays on its leads but is no longer offered for new ones. */
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("sales_plans_org_name_unique").on(t.organizationId, t.name), index("sales_plans_org_active_idx").on(t.organizationId, t.active)],
);

/** Seed 002 `sales_leads.status`: novo, contatado, qualificado, convertido, perdido. */
export const SALES_LEAD_STATUSES = ["new", "contacted", "qualified", "converted", "lost"] as const;
export type SalesLeadStatus = (typeof SALES_LEAD_STATUSES)[number];
