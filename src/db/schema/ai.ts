import { bigint, boolean, date, index, integer, jsonb, numeric, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { organizations, users } from "./tenancy";
import { contacts, conversations } from "./messaging";
import { threads } from "./automation";
import { SALES_LEAD_STATUSES, salesPlans } from "./sales";

export const PAYMENT_METHODS = ["boleto", "pix", "card", "other"] as const;
export const PAYMENT_PROMISE_STATUSES = ["pending", "fulfilled", "broken"] as const;

export const HTTP_TOOL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** A header a custom HTTP tool sends; a secret one keeps only `valueEnc` (AES-GCM), never shown again. */
export type HttpToolHeader = { name: string; value?: string; valueEnc?: string; secret: boolean };

/** A custom HTTP tool an organization defines; a workflow lists the ones its model may call. */
export const aiTools = pgTable(
  "ai_tools",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** The function name the model sees (letters, digits, `_`, `-`), unique in the organization. */
    name: text().notNull(),
    description: text().notNull(),
    /** JSON Schema (an `object`) of the arguments; the model's arguments are validated against it. */
    parameters: jsonb().$type<Record<string, unknown>>().notNull(),
    method: text({ enum: HTTP_TOOL_METHODS }).notNull().default("POST"),
    /** Tenant-chosen: checked by the outbound guard when saved and on every call. */
    url: text().notNull(),
    headers: jsonb().$type<HttpToolHeader[]>().notNull().default([]),
    timeoutMs: integer().notNull().default(10_000),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("ai_tools_org_name_unique").on(t.organizationId, t.name)],
);

/** Columns every record an AI tool creates for a contact carries. */
const recordColumns = () => ({
  id: id(),
  organizationId: uuid()
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" }),
  contactId: uuid()
    .notNull()
    .references(() => contacts.id, { onDelete: "cascade" }),
  conversationId: uuid().references(() => conversations.id, { onDelete: "set null" }),
  /** The AI thread whose tool call created it (null when created by a person or the API). */
  threadId: uuid().references(() => threads.id, { onDelete: "set null" }),
  createdAt: createdAt(),
});

export const salesLeads = pgTable(
  "sales_leads",
  {
    ...recordColumns(),
    title: text().notNull(),
    notes: text(),
    /** Estimated value in the organization's currency, if the contact said one. */
    value: numeric({ precision: 14, scale: 2 }),
    /** The pipeline stage (novo → contatado → qualificado → convertido / perdido); 0046 moved open/won/lost to new/converted/lost. */
    status: text({ enum: SALES_LEAD_STATUSES }).notNull().default("new"),
    /** The catalogue plan the contact is interested in. */
    planId: uuid().references(() => salesPlans.id, { onDelete: "set null" }),
    /** The member working the lead. */
    assignedUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    /** The member who created it by hand; null when the AI tool or the API did. */
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("sales_leads_org_contact_idx").on(t.organizationId, t.contactId, t.createdAt.desc()),
    index("sales_leads_org_status_idx").on(t.organizationId, t.status, t.createdAt),
  ],
);

/** Seed 002 `complaints` (ouvidoria): atendimento, produto, técnico, comercial, financeiro, outro. */
export const COMPLAINT_TYPES = ["service", "product", "technical", "commercial", "billing", "other"] as const;
export const COMPLAINT_SEVERITIES = ["low", "medium", "high", "critical"] as const;
/** novo, em investigação, resolvido, fechado. */
export const COMPLAINT_STATUSES = ["open", "in_progress", "resolved", "closed"] as const;

export const complaints = pgTable(
  "complaints",
  {
    ...recordColumns(),
    type: text({ enum: COMPLAINT_TYPES }).notNull().default("other"),
    subject: text().notNull(),
    description: text().notNull(),
    severity: text({ enum: COMPLAINT_SEVERITIES }).notNull().default("medium"),
    status: text({ enum: COMPLAINT_STATUSES }).notNull().default("open"),
    /** The member handling it (seed `assignedTo`). */
    assignedUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    /** The member who opened it by hand; null when the AI tool or the API opened it. */
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    resolution: text(),
    /** Set when the status becomes resolved or closed, cleared when it is reopened. */
    resolvedAt: tstz(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("complaints_org_contact_idx").on(t.organizationId, t.contactId, t.createdAt.desc()),
    index("complaints_org_status_idx").on(t.organizationId, t.status, t.createdAt),
  ],
);

export const paymentPromises = pgTable(
  "payment_promises",
  {
    ...recordColumns(),
    amount: numeric({ precision: 14, scale: 2 }).notNull(),
    /** The day the contact promised to pay (calendar day, the organization's zone). */
    dueDate: date().notNull(),
    notes: text(),
    /** Seed 002 `voice_promises.method`: boleto, pix, cartão, outro (null when the AI did not say). */
    method: text({ enum: PAYMENT_METHODS }),
    /** pending until marked fulfilled; broken automatically after its day (0046 moved kept to fulfilled). */
    status: text({ enum: PAYMENT_PROMISE_STATUSES }).notNull().default("pending"),
    /** When the reminder before the day was queued to the contact (once). */
    reminderSentAt: tstz(),
    /** When it was marked fulfilled or found broken. */
    settledAt: tstz(),
    /** The member who captured it; null when the AI tool or the API did. */
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("payment_promises_org_contact_idx").on(t.organizationId, t.contactId, t.createdAt.desc()),
    index("payment_promises_status_due_idx").on(t.status, t.dueDate),
  ],
);

/** A reminder for the team to get back to a contact at a time the AI agreed with them. */
export const followUpTasks = pgTable(
  "follow_up_tasks",
  {
    ...recordColumns(),
    dueAt: tstz().notNull(),
    note: text().notNull(),
    done: boolean().notNull().default(false),
  },
  (t) => [index("follow_up_tasks_org_due_idx").on(t.organizationId, t.done, t.dueAt)],
);

/** Per-organization usage limits that are not plan columns. */
export const usageLimits = pgTable("usage_limits", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  /** Model tokens per calendar month (UTC); null = no limit. A turn past it takes the fallback path. */
  aiTokensPerMonth: bigint({ mode: "number" }),
  updatedAt: updatedAt(),
});
