import { eq, inArray } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { collectionSettings, PAYMENT_METHODS, type CollectionSettings } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { assertCampaignManager } from "@/features/campaigns/campaign.service";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import type { SettingsInput } from "./settings.schema";

export type EffectiveSettings = Pick<CollectionSettings, "remindersEnabled" | "reminderDaysBefore" | "promiseMaxDays" | "allowedMethods">;

/** What an organization without a settings row gets (the behaviour before settings existed). */
export const DEFAULT_SETTINGS: EffectiveSettings = {
  remindersEnabled: true,
  reminderDaysBefore: 1,
  promiseMaxDays: null,
  allowedMethods: [...PAYMENT_METHODS],
};

export function settingsJson(s: EffectiveSettings & { updatedAt?: Date | null }) {
  return {
    remindersEnabled: s.remindersEnabled,
    reminderDaysBefore: s.reminderDaysBefore,
    promiseMaxDays: s.promiseMaxDays,
    allowedMethods: s.allowedMethods,
    updatedAt: s.updatedAt ?? null,
  };
}

/** The organization's collection rules (defaults when never saved). */
export async function settingsOf(organizationId: string, tx: DbOrTx = db): Promise<EffectiveSettings & { updatedAt: Date | null }> {
  const [row] = await tx.select().from(collectionSettings).where(eq(collectionSettings.organizationId, organizationId)).limit(1);
  return row ?? { ...DEFAULT_SETTINGS, updatedAt: null };
}

/** Several organizations' rules at once (the reminder sweep). */
export async function settingsByOrganization(organizationIds: string[]): Promise<Map<string, EffectiveSettings>> {
  const out = new Map<string, EffectiveSettings>(organizationIds.map((id) => [id, DEFAULT_SETTINGS]));
  if (organizationIds.length === 0) return out;
  const rows = await db.select().from(collectionSettings).where(inArray(collectionSettings.organizationId, organizationIds));
  for (const r of rows) if (out.has(r.organizationId)) out.set(r.organizationId, r);
  return out;
}

/** Saves the rules (supervisors and above); omitted fields keep their value. */
export async function updateSettings(caller: Caller, patch: SettingsInput, tx?: DbOrTx) {
  assertCampaignManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const before = await settingsOf(organizationId, tx);
    const next: EffectiveSettings = {
      remindersEnabled: patch.remindersEnabled ?? before.remindersEnabled,
      reminderDaysBefore: patch.reminderDaysBefore ?? before.reminderDaysBefore,
      promiseMaxDays: patch.promiseMaxDays === undefined ? before.promiseMaxDays : patch.promiseMaxDays,
      allowedMethods: patch.allowedMethods ? [...new Set(patch.allowedMethods)] : before.allowedMethods,
    };
    const updatedByUserId = caller.type === "user" ? caller.id : null;
    const [row] = await tx
      .insert(collectionSettings)
      .values({ organizationId, ...next, updatedByUserId })
      .onConflictDoUpdate({ target: collectionSettings.organizationId, set: { ...next, updatedByUserId, updatedAt: new Date() } })
      .returning();
    const details: Record<string, { from: unknown; to: unknown }> = {};
    for (const k of Object.keys(next) as (keyof EffectiveSettings)[]) {
      if (JSON.stringify(before[k]) !== JSON.stringify(next[k])) details[k] = { from: before[k], to: next[k] };
    }
    if (Object.keys(details).length)
      await auditChange(tx, organizationId, caller, "collection_settings.updated", { type: "collection_settings", id: organizationId }, details);
    return row!;
  });
}
