import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { instances, providerTemplates } from "@/db/schema";
import type { Instance } from "@/db/schema";
import { callProvider } from "@/features/instances/instance.service";
import type { Caller } from "@/lib/caller";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { callerTenant, instanceAccess, instanceOfTenant, tenantFilter } from "@/lib/tenant";
import { providerFor } from "@/providers";
import { cloudWabaId, placeholderCount } from "@/providers/cloud.templates";

/*
 * Provider templates: the message templates a provider holds for a number (Cloud: its WhatsApp
 * Business Account's), copied here by a sync — on demand (API, the templates page's button) and on a
 * schedule (provider-template.worker.ts). Each sync replaces the instance's list: a template deleted at
 * Meta disappears here too.
 */

export type ProviderTemplateRow = typeof providerTemplates.$inferSelect;

/** Fetches the instance's templates from its provider and replaces the stored list; answers how many. */
async function syncTemplatesOf(instance: Instance): Promise<number> {
  const provider = providerFor(instance);
  if (!provider.listTemplates) {
    throw new AppError(
      "unsupported_by_provider",
      tText("templates:provider.unsupported", { provider: instance.provider, feature: tText("templates:provider.feature") }),
    );
  }
  if (instance.provider === "cloud" && !cloudWabaId(instance)) {
    throw validationFailed([{ path: "config.wabaId", message: tText("templates:provider.wabaIdMissing") }], tText("templates:provider.wabaIdMissing"));
  }
  const listed = await callProvider(tText("templates:provider.syncing"), () => provider.listTemplates!(instance));
  if (!instance.organizationId) return 0;
  const organizationId = instance.organizationId;
  const now = new Date();
  // One row per (name, language): Meta's own key for a template.
  const unique = [...new Map(listed.map((t) => [`${t.name}/${t.language}`, t])).values()];
  await db.transaction(async (tx) => {
    if (unique.length > 0) {
      await tx
        .insert(providerTemplates)
        .values(
          unique.map((t) => ({
            organizationId,
            instanceId: instance.id,
            providerTemplateId: t.providerTemplateId ?? null,
            name: t.name,
            language: t.language,
            category: t.category ?? null,
            status: t.status,
            components: t.components,
            syncedAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: [providerTemplates.instanceId, providerTemplates.name, providerTemplates.language],
          set: {
            providerTemplateId: sql`excluded.provider_template_id`,
            category: sql`excluded.category`,
            status: sql`excluded.status`,
            components: sql`excluded.components`,
            syncedAt: now,
          },
        });
    }
    // Every template listed now was just written with this sync's time: older rows were deleted at Meta.
    await tx.delete(providerTemplates).where(and(eq(providerTemplates.instanceId, instance.id), lt(providerTemplates.syncedAt, now)));
  });
  return unique.length;
}

/** `POST /v1/instances/:id/templates/sync` and the page's button: another tenant's instance is a 404. */
export async function syncInstanceTemplates(caller: Caller, instanceId: string): Promise<{ synced: number }> {
  const instance = await instanceOfTenant(instanceAccess(caller), instanceId);
  return { synced: await syncTemplatesOf(instance) };
}

/** The caller's provider templates (of one instance when given), by instance, name and language. */
export async function listProviderTemplates(caller: Caller, filter: { instanceId?: string } = {}, tx: DbOrTx = db): Promise<ProviderTemplateRow[]> {
  const access = instanceAccess(caller);
  const instanceId = filter.instanceId ?? access.instanceId ?? undefined;
  if (instanceId) await instanceOfTenant(access, instanceId, { tx });
  return tx
    .select({ template: providerTemplates })
    .from(providerTemplates)
    .innerJoin(instances, eq(instances.id, providerTemplates.instanceId))
    .where(
      and(
        tenantFilter(callerTenant(caller), instances.organizationId, instances.createdByDeviceId),
        instanceId ? eq(providerTemplates.instanceId, instanceId) : undefined,
      ),
    )
    .orderBy(asc(instances.name), asc(providerTemplates.name), asc(providerTemplates.language))
    .then((rows) => rows.map((r) => r.template));
}

/** The approved templates of an instance (what may open a conversation outside the 24-hour window). */
export async function approvedTemplatesOf(instanceId: string, tx: DbOrTx = db): Promise<{ name: string; language: string }[]> {
  return tx
    .select({ name: providerTemplates.name, language: providerTemplates.language })
    .from(providerTemplates)
    .where(and(eq(providerTemplates.instanceId, instanceId), eq(providerTemplates.status, "APPROVED")))
    .orderBy(asc(providerTemplates.name), asc(providerTemplates.language));
}

/** One approved template of the instance by name and language, or null. */
async function approvedTemplate(instanceId: string, name: string, language: string, tx: DbOrTx = db): Promise<ProviderTemplateRow | null> {
  const [row] = await tx
    .select()
    .from(providerTemplates)
    .where(and(eq(providerTemplates.instanceId, instanceId), eq(providerTemplates.name, name), eq(providerTemplates.language, language)))
    .limit(1);
  return row ?? null;
}

/** The scheduled refresh: every Cloud instance with a WABA id; one failing instance does not stop the rest. */
export async function syncAllProviderTemplates(): Promise<{ instances: number; failed: number }> {
  const rows = await db
    .select()
    .from(instances)
    .where(
      and(inArray(instances.provider, ["cloud"]), sql`${instances.organizationId} is not null`, sql`(${instances.providerConfig}->>'wabaId') is not null`),
    );
  let failed = 0;
  for (const instance of rows) {
    try {
      await syncTemplatesOf(instance);
    } catch (err) {
      failed++;
      log.warn("provider template sync failed", { instanceId: instance.id, err: err instanceof Error ? err.message : String(err) });
    }
  }
  return { instances: rows.length, failed };
}

/** Fills a component text's `{{1}}`/`{{name}}` placeholders with text parameters in order (what the contact reads). */
function filled(text: string, parameters: Record<string, unknown>[]): string {
  const values = parameters.map((p) => (typeof p.text === "string" ? p.text : typeof p.parameter_name === "string" ? String(p.parameter_name) : ""));
  const names: string[] = [];
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    if (!names.includes(name)) names.push(name);
    return values[names.indexOf(name)] ?? "";
  });
}

/**
 * A provider template send checked before it is queued: the provider has templates, the template is
 * synced and APPROVED, and the header/body get as many parameters as their texts have placeholders
 * (each a 422 naming the field, in the caller's language). Answers the text stored as the message body.
 */
export async function checkProviderTemplateSend(
  instance: Instance,
  ref: { name: string; language: string; components?: { type: string; parameters: Record<string, unknown>[] }[] },
  tx: DbOrTx = db,
): Promise<{ body: string }> {
  if (!providerFor(instance).listTemplates) {
    throw new AppError(
      "unsupported_by_provider",
      tText("templates:provider.unsupported", { provider: instance.provider, feature: tText("templates:provider.feature") }),
    );
  }
  const template = await approvedTemplate(instance.id, ref.name, ref.language, tx);
  if (!template) throw validationFailed([{ path: "template.name", message: tText("templates:cloud.notSynced", { name: ref.name, language: ref.language }) }]);
  if (template.status !== "APPROVED") {
    throw validationFailed([
      { path: "template.name", message: tText("templates:cloud.notApproved", { name: ref.name, language: ref.language, status: template.status }) },
    ]);
  }
  const texts: string[] = [];
  for (const kind of ["header", "body"] as const) {
    const defined = template.components.find((c) => String(c.type).toLowerCase() === kind);
    const expected = defined && (kind === "body" || defined.format === "TEXT" || defined.format === undefined) ? placeholderCount(defined) : 0;
    const parameters = ref.components?.find((c) => c.type === kind)?.parameters ?? [];
    // A media header (IMAGE/VIDEO/DOCUMENT) takes one parameter of its own type; a text header its placeholders.
    const media = defined && typeof defined.format === "string" && ["IMAGE", "VIDEO", "DOCUMENT", "LOCATION"].includes(defined.format);
    const wanted = media ? 1 : expected;
    if (parameters.length !== wanted) {
      throw validationFailed([
        {
          path: "template.components",
          message: tText("templates:cloud.parameterCount", { component: kind, name: ref.name, expected: wanted, given: parameters.length }),
        },
      ]);
    }
    if (defined && typeof defined.text === "string") texts.push(filled(defined.text, parameters));
  }
  // Buttons: a URL button whose link has a placeholder needs its suffix; an index must name a button of the template.
  const buttons = (template.components.find((c) => String(c.type).toUpperCase() === "BUTTONS")?.buttons ?? []) as Record<string, unknown>[];
  const given = (ref.components ?? []).filter((c) => c.type === "button") as { index?: number; parameters: unknown[] }[];
  for (const component of given) {
    if (component.index === undefined || !buttons[component.index]) {
      throw validationFailed([
        { path: "template.components", message: tText("templates:cloud.buttonUnknown", { name: ref.name, index: component.index ?? 0 }) },
      ]);
    }
  }
  buttons.forEach((button, index) => {
    const dynamic = String(button.type).toUpperCase() === "URL" && /\{\{\s*\w+\s*\}\}/.test(String(button.url ?? ""));
    if (dynamic && !given.some((c) => c.index === index && c.parameters.length === 1)) {
      throw validationFailed([{ path: "template.components", message: tText("templates:cloud.buttonNeedsParameter", { name: ref.name, index }) }]);
    }
  });
  return { body: texts.join("\n") || ref.name };
}
