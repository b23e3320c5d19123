import { diffLines } from "diff";
import { and, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { can } from "@/auth/roles";
import { db, type DbOrTx } from "@/db/client";
import { promptDrafts, promptVersions, users, workflows, type PromptVersionSource } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { AppError, conflict, forbidden, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { organizationOf } from "@/lib/tenant";
import { PROMPT_LIMITS } from "./prompt.schema";

/*
 * Prompt versions (seed 002 `prompt_versions`, `prompt_drafts`). This feature sits BELOW workflows:
 * it never imports them (workflows import it to create a version when settings change and to read
 * the version that answers). It reads the `workflows` table for ownership only; it writes its own.
 *
 * Truth: a workflow's instructions are its highest prompt version. A workflow's `config.systemPrompt`
 * of before versions existed is imported as version 1 the first time anything reads the versions
 * (currentPromptVersion, listPromptVersions, publishing): lazily, so workflows created by any path
 * (API, pages, tests inserting rows) are covered without a data migration; workflows then stop
 * storing `systemPrompt` in their config.
 */

export type PromptVersion = typeof promptVersions.$inferSelect;
export type PromptDraft = typeof promptDrafts.$inferSelect;
type WorkflowRow = Pick<typeof workflows.$inferSelect, "id" | "organizationId" | "provider" | "config">;

export function promptVersionJson(v: PromptVersion & { authorLabel?: string | null }) {
  return {
    id: v.id,
    workflowId: v.workflowId,
    version: v.version,
    instructions: v.instructions,
    changelog: v.changelog,
    source: v.source,
    rolledBackFrom: v.rolledBackFrom,
    author: { type: v.authorType, id: v.authorId, label: v.authorLabel ?? null },
    createdAt: v.createdAt,
  };
}

export function promptDraftJson(d: PromptDraft) {
  return {
    workflowId: d.workflowId,
    instructions: d.instructions,
    baseVersion: d.baseVersion,
    lastEditedBy: { type: d.lastEditedByType, id: d.lastEditedById },
    lastEditedAt: d.lastEditedAt,
  };
}

const workflowNotFound = () => new AppError("not_found", tText("prompts:errors.workflowNotFound"));

/** The workflow the organization may read (its own or a system one); another organization's is 404. */
async function readableWorkflow(organizationId: string, workflowId: string, tx: DbOrTx): Promise<WorkflowRow> {
  const [w] = await tx
    .select({ id: workflows.id, organizationId: workflows.organizationId, provider: workflows.provider, config: workflows.config })
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), or(eq(workflows.organizationId, organizationId), isNull(workflows.organizationId))))
    .limit(1);
  if (!w) throw workflowNotFound();
  return w;
}

/** Supervisors and above write instructions (as they edit workflows); a `/v1` key's scope was checked by its route. */
function assertManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.manageAutomation(caller.role))) throw forbidden(tText("prompts:errors.manageOnly"));
}

/**
 * The organization's own AI workflow, locked for the change (publishing numbers versions under this
 * lock, so two publishes never take the same number). System workflows are read-only; other providers
 * have no instructions.
 */
async function writableWorkflow(organizationId: string, workflowId: string, tx: DbOrTx): Promise<WorkflowRow> {
  const w = await readableWorkflow(organizationId, workflowId, tx);
  if (w.organizationId === null) throw forbidden(tText("prompts:errors.systemReadOnly"));
  if (w.provider !== "openai") throw conflict(tText("prompts:errors.notAiWorkflow"));
  await tx.execute(sql`select 1 from ${workflows} where ${workflows.id} = ${workflowId} for update`);
  return w;
}

const legacyPromptOf = (w: WorkflowRow): string | null => {
  const text = (w.config as { systemPrompt?: unknown }).systemPrompt;
  return typeof text === "string" && text.trim() !== "" ? text : null;
};

/** Imports a workflow's pre-versioning `config.systemPrompt` as version 1 when it has no version yet. */
async function importLegacyPrompt(w: WorkflowRow, tx: DbOrTx): Promise<void> {
  const legacy = w.provider === "openai" && w.organizationId ? legacyPromptOf(w) : null;
  if (!legacy) return;
  await tx
    .insert(promptVersions)
    .values({
      organizationId: w.organizationId!,
      workflowId: w.id,
      version: 1,
      instructions: legacy,
      changelog: tText("prompts:changelog.imported"),
      source: "import",
      authorType: "system",
      authorId: "prompt-import",
    })
    .onConflictDoNothing();
}

async function latestVersion(workflowId: string, tx: DbOrTx): Promise<PromptVersion | null> {
  const [v] = await tx.select().from(promptVersions).where(eq(promptVersions.workflowId, workflowId)).orderBy(desc(promptVersions.version)).limit(1);
  return v ?? null;
}

/**
 * The version that answers for a workflow (its highest), or null when it has no instructions. The
 * engine calls this once per turn with the workflow it already loaded (no organization check here:
 * the caller holds the workflow).
 */
export async function currentPromptVersion(w: WorkflowRow, tx: DbOrTx = db): Promise<PromptVersion | null> {
  const latest = await latestVersion(w.id, tx);
  if (latest || !legacyPromptOf(w)) return latest;
  await importLegacyPrompt(w, tx);
  return latestVersion(w.id, tx);
}

/** The instructions that answer for each workflow of the list (for the API's `config.systemPrompt`). */
export async function currentInstructionsOf(list: WorkflowRow[], tx: DbOrTx = db): Promise<Map<string, { version: number; instructions: string }>> {
  const out = new Map<string, { version: number; instructions: string }>();
  const ai = list.filter((w) => w.provider === "openai");
  if (ai.length === 0) return out;
  // One query for the whole list: each workflow's highest version.
  const latest = await tx
    .selectDistinctOn([promptVersions.workflowId], {
      workflowId: promptVersions.workflowId,
      version: promptVersions.version,
      instructions: promptVersions.instructions,
    })
    .from(promptVersions)
    .where(
      inArray(
        promptVersions.workflowId,
        ai.map((w) => w.id),
      ),
    )
    .orderBy(promptVersions.workflowId, desc(promptVersions.version));
  for (const v of latest) out.set(v.workflowId, { version: v.version, instructions: v.instructions });
  // Workflows of before versions: their legacy prompt is imported now (currentPromptVersion).
  for (const w of ai) {
    if (out.has(w.id) || !legacyPromptOf(w)) continue;
    const v = await currentPromptVersion(w, tx);
    if (v) out.set(w.id, { version: v.version, instructions: v.instructions });
  }
  return out;
}

const authorLabel = sql<string | null>`case when ${promptVersions.authorType} = 'user' then ${users.email} else null end`;

/** Versions of a workflow (one, or all newest first), each with its author's email when a member published it. */
async function versionsWithAuthors(workflowId: string, version: number | undefined, tx: DbOrTx) {
  const rows = await tx
    .select({ version: promptVersions, authorLabel })
    .from(promptVersions)
    .leftJoin(users, sql`${promptVersions.authorType} = 'user' and ${users.id}::text = ${promptVersions.authorId}`)
    .where(and(eq(promptVersions.workflowId, workflowId), version === undefined ? undefined : eq(promptVersions.version, version)))
    .orderBy(desc(promptVersions.version));
  return rows.map((r) => ({ ...r.version, authorLabel: r.authorLabel }));
}

export async function listPromptVersions(caller: Caller, workflowId: string, tx: DbOrTx = db) {
  const w = await readableWorkflow(organizationOf(caller), workflowId, tx);
  await currentPromptVersion(w, tx);
  return versionsWithAuthors(w.id, undefined, tx);
}

export async function getPromptVersion(caller: Caller, workflowId: string, version: number | string, tx: DbOrTx = db) {
  const w = await readableWorkflow(organizationOf(caller), workflowId, tx);
  await currentPromptVersion(w, tx);
  const number = Number(version);
  const [v] = Number.isSafeInteger(number) && number >= 1 ? await versionsWithAuthors(w.id, number, tx) : [];
  if (!v) throw new AppError("not_found", tText("prompts:errors.versionNotFound", { version: String(version).slice(0, 20) }));
  return v;
}

export async function getPromptDraft(caller: Caller, workflowId: string, tx: DbOrTx = db): Promise<PromptDraft | null> {
  const w = await readableWorkflow(organizationOf(caller), workflowId, tx);
  const [d] = await tx.select().from(promptDrafts).where(eq(promptDrafts.workflowId, w.id)).limit(1);
  return d ?? null;
}

/**
 * Saves the workflow's draft (autosaved by the editor, or saved by hand): it does not answer until
 * published. Not audited: autosave writes it every few seconds; publishing is audited.
 */
export async function savePromptDraft(caller: Caller, workflowId: string, input: { instructions: string }, tx?: DbOrTx): Promise<PromptDraft> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const w = await writableWorkflow(organizationId, workflowId, tx);
    const base = await currentPromptVersion(w, tx);
    const now = new Date();
    const [d] = await tx
      .insert(promptDrafts)
      .values({
        organizationId,
        workflowId,
        instructions: input.instructions,
        baseVersion: base?.version ?? null,
        lastEditedByType: caller.type,
        lastEditedById: caller.id,
        lastEditedAt: now,
      })
      .onConflictDoUpdate({
        target: promptDrafts.workflowId,
        set: { instructions: input.instructions, lastEditedByType: caller.type, lastEditedById: caller.id, lastEditedAt: now },
      })
      .returning();
    return d!;
  });
}

export async function discardPromptDraft(caller: Caller, workflowId: string, tx?: DbOrTx): Promise<void> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    await writableWorkflow(organizationId, workflowId, tx);
    const gone = await tx.delete(promptDrafts).where(eq(promptDrafts.workflowId, workflowId)).returning({ id: promptDrafts.id });
    if (gone.length === 0) throw new AppError("not_found", tText("prompts:errors.noDraft"));
    await auditChange(tx, organizationId, caller, "prompt.draft_discarded", { type: "workflow", id: workflowId });
  });
}

/**
 * Publishes `instructions` as the workflow's next version (immutable; the highest answers). The HITL
 * review applies a prompt suggestion through this (`source: "suggestion"`), the workflow settings
 * through `source: "settings"`. Publishing from the editor consumes the draft. The same text as the
 * current version is refused: a version records a change.
 */
export async function publishPromptVersion(
  caller: Caller,
  workflowId: string,
  input: { instructions: string; changelog: string; source: PromptVersionSource; rolledBackFrom?: number },
  tx?: DbOrTx,
): Promise<PromptVersion> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  if (input.instructions.length > PROMPT_LIMITS.instructions) throw validationFailed([{ path: "instructions", message: tText("prompts:errors.tooLong") }]);
  return inTransaction(tx, async (tx) => {
    const w = await writableWorkflow(organizationId, workflowId, tx);
    const current = await currentPromptVersion(w, tx);
    if (current && current.instructions === input.instructions) {
      throw validationFailed([{ path: "instructions", message: tText("prompts:errors.unchanged", { version: current.version }) }]);
    }
    const version = (current?.version ?? 0) + 1;
    const [v] = await tx
      .insert(promptVersions)
      .values({
        organizationId,
        workflowId,
        version,
        instructions: input.instructions,
        changelog: input.changelog.trim().slice(0, 500),
        source: input.source,
        rolledBackFrom: input.rolledBackFrom ?? null,
        authorType: caller.type,
        authorId: caller.id,
      })
      .returning();
    // The draft is consumed by the editor's publish, or by any publish of exactly its text.
    await tx
      .delete(promptDrafts)
      .where(and(eq(promptDrafts.workflowId, workflowId), input.source === "editor" ? undefined : eq(promptDrafts.instructions, input.instructions)));
    await auditChange(
      tx,
      organizationId,
      caller,
      input.source === "rollback" ? "prompt.rolled_back" : "prompt.published",
      { type: "workflow", id: workflowId },
      { version, source: input.source, changelog: v!.changelog, ...(input.rolledBackFrom ? { rolledBackFrom: input.rolledBackFrom } : {}) },
    );
    return v!;
  });
}

/** Publishes the draft (or the given text) from the editor or the API. */
export async function publishFromEditor(
  caller: Caller,
  workflowId: string,
  input: { instructions?: string; changelog: string },
  source: "editor" | "api" = "editor",
): Promise<PromptVersion> {
  let instructions = input.instructions;
  if (instructions === undefined) {
    const draft = await getPromptDraft(caller, workflowId);
    if (!draft) throw validationFailed([{ path: "instructions", message: tText("prompts:errors.noDraft") }]);
    instructions = draft.instructions;
  }
  return publishPromptVersion(caller, workflowId, { instructions, changelog: input.changelog, source });
}

/** Rollback: an old version's text published again as the next version ("rollback to vN"). */
export async function rollbackPromptVersion(caller: Caller, workflowId: string, version: number | string): Promise<PromptVersion> {
  assertManager(caller);
  const old = await getPromptVersion(caller, workflowId, version);
  return publishPromptVersion(caller, workflowId, {
    instructions: old.instructions,
    changelog: tText("prompts:changelog.rollback", { version: old.version }),
    source: "rollback",
    rolledBackFrom: old.version,
  });
}

export type DiffLine = { type: "added" | "removed" | "same"; text: string };

/** Line diff between two versions (the `diff` library's diffLines), as added/removed/unchanged lines. */
export async function diffPromptVersions(
  caller: Caller,
  workflowId: string,
  from?: number,
  to?: number,
): Promise<{ from: number; to: number; lines: DiffLine[] }> {
  // Without `to`: the version in use; without `from`: the one before `to`.
  const target = to ?? (await listPromptVersions(caller, workflowId))[0]?.version ?? 1;
  const source = from ?? Math.max(1, target - 1);
  const [a, b] = [await getPromptVersion(caller, workflowId, source), await getPromptVersion(caller, workflowId, target)];
  return { from: source, to: target, lines: diffText(a.instructions, b.instructions) };
}

export function diffText(before: string, after: string): DiffLine[] {
  const lines: DiffLine[] = [];
  // A last line without "\n" is the same line as with one (a text edited in a textarea often gains one).
  for (const part of diffLines(before, after, { ignoreNewlineAtEof: true })) {
    const type = part.added ? "added" : part.removed ? "removed" : "same";
    const text = part.value.endsWith("\n") ? part.value.slice(0, -1) : part.value;
    for (const line of text.split("\n")) lines.push({ type, text: line });
  }
  return lines;
}

/**
 * What the Instructions tab shows: the workflow (name, whether instructions apply and may be edited
 * by this caller), its versions newest first, the draft, and the version in use.
 */
export async function instructionsOverview(caller: Caller, workflowId: string) {
  const organizationId = organizationOf(caller);
  const w = await readableWorkflow(organizationId, workflowId, db);
  const [row] = await db.select({ name: workflows.name }).from(workflows).where(eq(workflows.id, w.id)).limit(1);
  const ai = w.provider === "openai";
  const versions = ai ? await listPromptVersions(caller, workflowId) : [];
  const draft = ai ? await getPromptDraft(caller, workflowId) : null;
  const editable = ai && w.organizationId !== null && (caller.type !== "user" || (!!caller.role && can.manageAutomation(caller.role)));
  return { workflow: { id: w.id, name: row?.name ?? "", ai, system: w.organizationId === null }, versions, current: versions[0] ?? null, draft, editable };
}
export type InstructionsOverview = Awaited<ReturnType<typeof instructionsOverview>>;
