import { and, asc, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { templates } from "@/db/schema";
import { AppError, conflict, pgCode } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { renderTemplate, templatePlaceholders } from "./template.render";
import type { CreateTemplateInput, UpdateTemplateInput } from "./template.schema";

export type Template = typeof templates.$inferSelect;

export function toPublicTemplate(t: Template) {
  return {
    id: t.id,
    key: t.key,
    body: t.body,
    variants: t.variants,
    variables: requiredVariables(t),
    locale: t.locale,
    category: t.category,
    active: t.active,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** Every variable a send must provide: the declared ones plus the placeholders of body and variants. */
export function requiredVariables(t: Pick<Template, "body" | "variants" | "variables">): string[] {
  return [...new Set([...t.variables, ...[t.body, ...t.variants].flatMap(templatePlaceholders)])];
}

export async function listTemplates(organizationId: string, tx: DbOrTx = db): Promise<Template[]> {
  return tx.select().from(templates).where(eq(templates.organizationId, organizationId)).orderBy(asc(templates.key));
}

export async function getTemplate(organizationId: string, id: string, tx: DbOrTx = db): Promise<Template> {
  const [t] = await tx
    .select()
    .from(templates)
    .where(and(eq(templates.id, id), eq(templates.organizationId, organizationId)))
    .limit(1);
  if (!t) throw new AppError("not_found", tText("templates:errors.notFound"));
  return t;
}

/** A duplicate key (the unique index) is a 409 saying so in the reader's language, not the database's words. */
async function uniqueKey<T>(write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (pgCode(err) === "23505") throw conflict(tText("templates:errors.keyTaken"));
    throw err;
  }
}

/** Creates a template; a duplicate key is a 409. */
export async function createTemplate(caller: Caller, input: CreateTemplateInput, tx?: DbOrTx): Promise<Template> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const [t] = await uniqueKey(
      tx
        .insert(templates)
        .values({ organizationId, ...input, locale: input.locale ?? null, category: input.category ?? null })
        .returning(),
    );
    await auditChange(tx, organizationId, caller, "template.created", { type: "template", id: t!.id }, { key: t!.key });
    return t!;
  });
}

export async function updateTemplate(caller: Caller, id: string, patch: UpdateTemplateInput, tx?: DbOrTx): Promise<Template> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getTemplate(organizationId, id, tx);
    // An empty PATCH changes nothing (and an UPDATE with no columns is not valid SQL).
    if (Object.keys(patch).length === 0) return current;
    const [t] = await uniqueKey(
      tx
        .update(templates)
        .set(patch)
        .where(and(eq(templates.id, id), eq(templates.organizationId, organizationId)))
        .returning(),
    );
    await auditChange(tx, organizationId, caller, "template.updated", { type: "template", id }, { key: t!.key, fields: Object.keys(patch) });
    return t!;
  });
}

export async function deleteTemplate(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const t = await getTemplate(organizationId, id, tx);
    await tx.delete(templates).where(and(eq(templates.id, id), eq(templates.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "template.deleted", { type: "template", id }, { key: t.key });
  });
}

/**
 * The variables automation offers a template: the contact's fields (`name`, `first_name`, `phone`, and
 * every string in its metadata) overlaid with the thread's collected state.
 */
export function templateContext(
  contact: { name: string | null; phone: string | null; metadata?: Record<string, unknown> | null } | null,
  state: Record<string, unknown> = {},
): Record<string, string> {
  const vars: Record<string, string> = {};
  if (contact) {
    for (const [k, v] of Object.entries(contact.metadata ?? {})) if (typeof v === "string" || typeof v === "number") vars[k] = String(v);
    if (contact.name) {
      vars.name = contact.name;
      vars.first_name = contact.name.split(/\s+/)[0]!;
    }
    // A group or a person known only by a LID has no phone to offer.
    if (contact.phone) vars.phone = contact.phone;
  }
  for (const [k, v] of Object.entries(state)) if (typeof v === "string" || typeof v === "number") vars[k] = String(v);
  return vars;
}

/** Renders a template by key (random variant, 422 naming a missing variable). */
export async function renderTemplateByKey(organizationId: string, key: string, variables: Record<string, string>, tx: DbOrTx = db) {
  return renderTemplate(organizationId, { key, variables }, tx);
}
