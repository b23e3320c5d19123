import { index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { organizations } from "./tenancy";
import { workflows } from "./automation";

/**
 * How a prompt version came to be: written in the Instructions editor, typed in the workflow's
 * settings (or its API config), a rollback to an older text, an accepted AI suggestion, the API, or
 * imported from a workflow's `config.systemPrompt` of before versions existed (lazily, on first read).
 */
export const PROMPT_VERSION_SOURCES = ["editor", "settings", "rollback", "suggestion", "api", "import"] as const;
export type PromptVersionSource = (typeof PROMPT_VERSION_SOURCES)[number];

/**
 * The published instructions (system prompt) of an AI workflow, one immutable row per version
 * (seed 002 `prompt_versions`): the highest version is the one that answers.
 */
export const promptVersions = pgTable(
  "prompt_versions",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    workflowId: uuid()
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    /** 1, 2, 3… per workflow; never reused. */
    version: integer().notNull(),
    instructions: text().notNull(),
    changelog: text().notNull().default(""),
    source: text({ enum: PROMPT_VERSION_SOURCES }).notNull(),
    /** A rollback's origin: the version whose text was published again. */
    rolledBackFrom: integer(),
    /** Who published it, as the audit log names actors (caller type + id). */
    authorType: text().notNull(),
    authorId: text(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("prompt_versions_workflow_version_unique").on(t.workflowId, t.version), index("prompt_versions_org_idx").on(t.organizationId)],
);

/** Work in progress on a workflow's instructions (seed 002 `prompt_drafts`): one per workflow, not used by turns. */
export const promptDrafts = pgTable(
  "prompt_drafts",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    workflowId: uuid()
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    instructions: text().notNull(),
    /** The version the draft was started from (a newer publish makes the draft stale). */
    baseVersion: integer(),
    lastEditedByType: text().notNull(),
    lastEditedById: text(),
    lastEditedAt: tstz().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("prompt_drafts_workflow_unique").on(t.workflowId), index("prompt_drafts_org_idx").on(t.organizationId)],
);
