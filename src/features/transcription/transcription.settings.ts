import { eq } from "drizzle-orm";
import { can } from "@/auth/roles";
import { config } from "@/config";
import { db, type DbOrTx } from "@/db/client";
import { transcriptionSettings } from "@/db/schema";
import { auditChange } from "@/features/audit/audit.service";
import { roleOf, type Caller } from "@/lib/caller";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { forbidden, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { organizationOf } from "@/lib/tenant";
import { assertPublicTarget, TargetRefused } from "@/lib/outbound";
import type { TranscriptionSettingsInput } from "./transcription.schema";

type Stored = typeof transcriptionSettings.$inferSelect;

/** What the settings page shows: never the key, only whether one is saved. */
export type TranscriptionSettingsView = {
  enabled: boolean;
  baseUrl: string | null;
  model: string | null;
  hasApiKey: boolean;
  /** The operator's defaults (TRANSCRIBE_*), shown as what an empty field means. */
  platform: { baseUrl: string; model: string; hasKey: boolean };
};

/** Where one organization's audio goes: endpoint, key, model, and whether the operator chose the endpoint. */
export type TranscriptionEndpoint = { baseUrl: string; apiKey?: string; model: string; operatorConfigured: boolean };

/** One spelling per endpoint, so `https://x/v1/` and `https://x/v1` are the same. */
function normalizedEndpoint(url: string): string {
  try {
    return new URL(url).href.replace(/\/+$/, "");
  } catch {
    return url;
  }
}

/** No base URL, or TRANSCRIBE_BASE_URL itself: the operator's endpoint, the only one TRANSCRIBE_API_KEY goes to. */
function usesOperatorEndpoint(baseUrl: string | null | undefined): boolean {
  return !baseUrl || normalizedEndpoint(baseUrl) === normalizedEndpoint(config.transcribe.baseUrl);
}

async function storedSettings(organizationId: string, tx: DbOrTx = db): Promise<Stored | undefined> {
  const [row] = await tx.select().from(transcriptionSettings).where(eq(transcriptionSettings.organizationId, organizationId)).limit(1);
  return row;
}

export async function getTranscriptionSettings(organizationId: string): Promise<TranscriptionSettingsView> {
  const row = await storedSettings(organizationId);
  return {
    enabled: row?.enabled ?? false,
    baseUrl: row?.baseUrl ?? null,
    model: row?.model ?? null,
    hasApiKey: !!row?.apiKeyEnc,
    platform: { baseUrl: config.transcribe.baseUrl, model: config.transcribe.model, hasKey: !!config.transcribe.apiKey },
  };
}

/**
 * Saves the organization's transcription settings (admins and owners), audited without the key. The
 * same key rules as `openai` workflows: the operator's TRANSCRIBE_API_KEY only ever goes to
 * TRANSCRIBE_BASE_URL; another endpoint must carry its own key (encrypted), which is dropped when the
 * base URL moves, and must pass the outbound guard.
 */
export async function saveTranscriptionSettings(caller: Caller<"user">, input: TranscriptionSettingsInput): Promise<TranscriptionSettingsView> {
  if (!can.manageOrganization(roleOf(caller))) throw forbidden();
  const organizationId = organizationOf(caller);
  const operator = usesOperatorEndpoint(input.baseUrl);
  const baseUrl = operator ? null : normalizedEndpoint(input.baseUrl!);
  await db.transaction(async (tx) => {
    const [previous] = await tx.select().from(transcriptionSettings).where(eq(transcriptionSettings.organizationId, organizationId)).for("update").limit(1);
    const sameEndpoint = operator ? usesOperatorEndpoint(previous?.baseUrl) : !!previous?.baseUrl && normalizedEndpoint(previous.baseUrl) === baseUrl;
    let apiKeyEnc: string | null = null;
    if (input.apiKey) apiKeyEnc = encryptSecret(input.apiKey);
    else if (!input.removeApiKey && sameEndpoint) apiKeyEnc = previous?.apiKeyEnc ?? null;
    if (!operator) {
      if (!apiKeyEnc) {
        const dropped = !input.removeApiKey && !sameEndpoint && !!previous?.apiKeyEnc;
        throw validationFailed([
          { path: "apiKey", message: tText(dropped ? "transcription:errors.keyDroppedWithBaseUrl" : "transcription:errors.keyRequired") },
        ]);
      }
      // Checked when chosen; every request checks again (guardedFetch), since DNS can change later.
      if (!sameEndpoint) {
        try {
          await assertPublicTarget(baseUrl!);
        } catch (err) {
          if (err instanceof TargetRefused)
            throw validationFailed([{ path: "baseUrl", message: tText("transcription:errors.urlRefused", { reason: err.message }) }]);
          throw err;
        }
      }
    }
    const values = { enabled: input.enabled, baseUrl, apiKeyEnc, model: input.model ?? null };
    await tx
      .insert(transcriptionSettings)
      .values({ organizationId, ...values })
      .onConflictDoUpdate({ target: transcriptionSettings.organizationId, set: { ...values, updatedAt: new Date() } });
    await auditChange(
      tx,
      organizationId,
      caller,
      "organization.transcription_changed",
      { type: "organization", id: organizationId },
      {
        enabled: values.enabled,
        baseUrl: values.baseUrl,
        model: values.model,
        apiKey: input.apiKey ? "replaced" : apiKeyEnc ? "kept" : previous?.apiKeyEnc ? "removed" : "none",
      },
    );
  });
  return getTranscriptionSettings(organizationId);
}

/**
 * The endpoint an organization's audio is sent to, or null when transcription is off. Throws
 * `Error(message)` (an i18n text) when the stored settings cannot be used: a tenant endpoint without
 * its own key (the platform key never goes there, whatever was stored before these rules).
 */
export async function transcriptionEndpointOf(organizationId: string): Promise<TranscriptionEndpoint | null> {
  const row = await storedSettings(organizationId);
  if (!row?.enabled) return null;
  const operator = usesOperatorEndpoint(row.baseUrl);
  const apiKey = row.apiKeyEnc ? decryptSecret(row.apiKeyEnc) : operator ? config.transcribe.apiKey : undefined;
  if (!operator && !apiKey) throw new Error(tText("transcription:failures.needsOwnKey"));
  return {
    baseUrl: operator ? config.transcribe.baseUrl : row.baseUrl!,
    apiKey,
    model: row.model ?? config.transcribe.model,
    operatorConfigured: operator,
  };
}
