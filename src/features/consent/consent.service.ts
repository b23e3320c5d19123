import { and, desc, eq, isNotNull } from "drizzle-orm";
import { z } from "zod";
import { db, type DbOrTx } from "@/db/client";
import { orgCached } from "@/db/org-cache";
import { campaignTargets, consentRecords, consentSettings, contacts, organizations } from "@/db/schema";
import { roleAtLeast } from "@/auth/roles";
import { systemCaller, type Caller } from "@/lib/caller";
import { AppError, forbidden, validationFailed, zodDetails } from "@/lib/errors";
import { tText, withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";
import { auditChange } from "@/features/audit/audit.service";
import { setContactOptedOut } from "@/features/contacts/contact.consent";
import { queueOutboundMessage } from "@/features/messages/message.service";
import type { InboundMessageContext } from "@/features/inbound/inbound.service";

/** Always recognised, whatever the organization adds (LGPD: a contact can always say stop). */
export const DEFAULT_OPT_OUT_KEYWORDS = ["SAIR", "PARAR", "STOP"] as const;
export const DEFAULT_OPT_IN_KEYWORDS = ["QUERO RECEBER", "START"] as const;

export type ConsentRecord = typeof consentRecords.$inferSelect;

/** Upper case, no accents, punctuation and repeated spaces gone: "Sair!" and " sáir " both read SAIR. */
export function normalizeKeyword(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\p{L}\p{N} ]/gu, " ")
    .replace(/\s+/g, " ")
    .trim()
    .toUpperCase();
}

/**
 * The keyword a message is, or null. The whole message must be the keyword (after normalizing), so a
 * sentence that merely contains "sair" ("não posso sair hoje") opts nobody out.
 */
export function matchConsentKeyword(text: string, keywords: readonly string[]): string | null {
  const said = normalizeKeyword(text);
  if (!said) return null;
  return keywords.find((k) => normalizeKeyword(k) === said) ?? null;
}

export const CONSENT_REPLY_MAX = 1000;
/** The longest keyword an organization may add (the defaults are shorter). */
export const KEYWORD_MAX = 60;

export async function consentKeywords(
  organizationId: string,
  tx: DbOrTx = db,
): Promise<{
  optOut: string[];
  optIn: string[];
  own: { optOut: string[]; optIn: string[] };
  /** The organization's own confirmation texts (null = the default in its language). */
  replies: { optOut: string | null; optIn: string | null };
}> {
  const [row] = await tx.select().from(consentSettings).where(eq(consentSettings.organizationId, organizationId)).limit(1);
  const own = { optOut: row?.optOutKeywords ?? [], optIn: row?.optInKeywords ?? [] };
  return {
    optOut: [...DEFAULT_OPT_OUT_KEYWORDS, ...own.optOut],
    optIn: [...DEFAULT_OPT_IN_KEYWORDS, ...own.optIn],
    own,
    replies: { optOut: row?.optOutReply ?? null, optIn: row?.optInReply ?? null },
  };
}

/** The keywords as every inbound message reads them: cached per organization (src/db/org-cache.ts). */
const cachedConsentKeywords = orgCached({ tables: ["consent_settings"], load: (organizationId) => consentKeywords(organizationId) });

const keywordList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(/\r?\n|,/)).map((k) => k.trim()).filter(Boolean))
  .pipe(z.array(z.string().max(KEYWORD_MAX)).max(50));
/** A confirmation text; blank = the default one (null). */
const replyText = z
  .string()
  .max(CONSENT_REPLY_MAX)
  .nullish()
  .transform((v) => (v?.trim() ? v.trim() : null));
export const consentSettingsSchema = z.object({
  optOutKeywords: keywordList.default([]),
  optInKeywords: keywordList.default([]),
  optOutReply: replyText,
  optInReply: replyText,
});

function assertManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && roleAtLeast(caller.role, "supervisor"))) throw forbidden(tText("campaigns:errors.forbidden"));
}

export async function updateConsentSettings(caller: Caller, values: unknown) {
  assertManager(caller);
  const parsed = consentSettingsSchema.safeParse(values);
  if (!parsed.success) throw validationFailed(zodDetails(parsed.error.issues));
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(consentSettings)
      .values({ organizationId, ...parsed.data })
      .onConflictDoUpdate({ target: consentSettings.organizationId, set: { ...parsed.data, updatedAt: new Date() } })
      .returning();
    await auditChange(tx, organizationId, caller, "consent.settings_updated", { type: "organization", id: organizationId }, parsed.data);
    return row!;
  });
}

/** The campaign message a contact's words answer: their latest campaign target already sent. */
async function answeredTarget(contactId: string, tx: DbOrTx) {
  const [target] = await tx
    .select({ id: campaignTargets.id, campaignId: campaignTargets.campaignId, messageId: campaignTargets.messageId })
    .from(campaignTargets)
    .where(and(eq(campaignTargets.contactId, contactId), isNotNull(campaignTargets.sentAt)))
    .orderBy(desc(campaignTargets.sentAt))
    .limit(1);
  return target ?? null;
}

type ConsentChange = {
  organizationId: string;
  contactId: string;
  kind: "opt_out" | "opt_in";
  source: "keyword" | "api" | "manual";
  keyword?: string | null;
  messageId?: string | null;
  note?: string | null;
  caller: Caller;
  /** The confirmation to queue to the contact on this instance (keyword changes). */
  confirm?: { instanceId: string; text: string };
};

/**
 * Queues the confirmation as a savepoint of the consent's transaction. An opt-out's is queued before
 * the flag is set (sends to opted-out contacts are refused), so "SAIR" is always acknowledged; a number
 * that cannot send now (disconnected, over its quota) loses the confirmation, never the opt-out.
 */
async function queueConfirmation(tx: DbOrTx, change: ConsentChange): Promise<void> {
  if (!change.confirm) return;
  try {
    await queueOutboundMessage(
      change.caller,
      { type: "text", instanceId: change.confirm.instanceId, contactId: change.contactId, text: change.confirm.text },
      { sentBy: "bot", tx },
    );
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    log.warn("consent confirmation not sent", { contactId: change.contactId, kind: change.kind, error: err.message });
  }
}

/** Records a consent change and sets the contact's flag, in one transaction (and in the audit log). */
async function recordConsent(change: ConsentChange): Promise<ConsentRecord> {
  return db.transaction(async (tx) => {
    const answered = change.kind === "opt_out" ? await answeredTarget(change.contactId, tx) : null;
    if (change.kind === "opt_out") await queueConfirmation(tx, change);
    await setContactOptedOut(change.organizationId, change.contactId, change.kind === "opt_out", tx);
    if (change.kind === "opt_in") await queueConfirmation(tx, change);
    const [record] = await tx
      .insert(consentRecords)
      .values({
        organizationId: change.organizationId,
        contactId: change.contactId,
        kind: change.kind,
        source: change.source,
        keyword: change.keyword ?? null,
        messageId: change.messageId ?? null,
        campaignTargetId: answered?.id ?? null,
        campaignId: answered?.campaignId ?? null,
        note: change.note ?? null,
        byUserId: change.caller.type === "user" ? change.caller.id : null,
      })
      .returning();
    await auditChange(
      tx,
      change.organizationId,
      change.caller,
      change.kind === "opt_out" ? "consent.opted_out" : "consent.opted_in",
      { type: "contact", id: change.contactId },
      {
        source: change.source,
        keyword: change.keyword ?? null,
        campaignId: answered?.campaignId ?? null,
      },
    );
    return record!;
  });
}

/**
 * The consent keywords as an inbound claim (src/routes.ts puts it first): a message that is an opt-out
 * keyword (SAIR, PARAR, STOP or the organization's own) opts the contact out, recording the keyword, the
 * message and the campaign message it answered, and is confirmed to the contact (the organization's text
 * or the default in its language), and claimed: no bot, flow, AI workflow or menu answers "SAIR" as if it
 * were a question. An opt-in keyword from an opted-out contact opts them back in, confirmed and claimed the
 * same way; from anyone else it is recorded and left to automation.
 */
export async function consentClaim(ctx: InboundMessageContext): Promise<boolean> {
  const organizationId = ctx.conversation.organizationId;
  const text = ctx.message.body;
  if (!organizationId || !text || ctx.message.direction !== "inbound" || ctx.message.isPrivateNote || ctx.contact.kind !== "person") return false;
  // No keyword is longer than KEYWORD_MAX: an ordinary message costs no query on the inbound path.
  if (normalizeKeyword(text).length > KEYWORD_MAX) return false;
  const keywords = await cachedConsentKeywords(organizationId);
  const optOut = matchConsentKeyword(text, keywords.optOut);
  const optIn = optOut ? null : matchConsentKeyword(text, keywords.optIn);
  if (!optOut && !optIn) return false;
  const kind = optOut ? "opt_out" : "opt_in";
  const caller = systemCaller("consent", organizationId);
  // "START" from a contact who never opted out is recorded as an opt-in but stays an ordinary message
  // (it may be a trigger's keyword); only a contact coming back from an opt-out is confirmed and claimed.
  if (kind === "opt_in" && !ctx.contact.optedOut) {
    await recordConsent({ organizationId, contactId: ctx.contact.id, kind, source: "keyword", keyword: optIn, messageId: ctx.message.id, caller });
    return false;
  }
  const [org] = await db
    .select({ language: organizations.language, timeZone: organizations.timeZone })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .limit(1);
  const own = kind === "opt_out" ? keywords.replies.optOut : keywords.replies.optIn;
  const reply = own ?? withLocale({ locale: org?.language, timeZone: org?.timeZone }, () => tText(`campaigns:consent.defaultReply.${kind}`));
  await recordConsent({
    organizationId,
    contactId: ctx.contact.id,
    kind,
    source: "keyword",
    keyword: optOut ?? optIn,
    messageId: ctx.message.id,
    caller,
    confirm: { instanceId: ctx.instance.id, text: reply },
  });
  return true;
}

export const consentChangeSchema = z.object({ kind: z.enum(["opt_out", "opt_in"]), note: z.string().trim().max(500).nullish() });

async function contactOf(caller: Caller, contactId: string) {
  if (!isUuid(contactId)) throw new AppError("not_found", tText("campaigns:consent.notFound"));
  const [contact] = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.id, contactId), eq(contacts.organizationId, organizationOf(caller))))
    .limit(1);
  if (!contact) throw new AppError("not_found", tText("campaigns:consent.notFound"));
  return contact;
}

/** An opt-in or opt-out made through the API (a key) or by a member (manual), with its source recorded. */
export async function changeConsent(caller: Caller, contactId: string, values: unknown): Promise<ConsentRecord> {
  const parsed = consentChangeSchema.safeParse(values);
  if (!parsed.success) throw validationFailed(zodDetails(parsed.error.issues));
  const contact = await contactOf(caller, contactId);
  return recordConsent({
    organizationId: contact.organizationId!,
    contactId: contact.id,
    kind: parsed.data.kind,
    source: caller.type === "user" ? "manual" : "api",
    note: parsed.data.note ?? null,
    caller,
  });
}

export async function listConsentRecords(caller: Caller, contactId: string): Promise<ConsentRecord[]> {
  const contact = await contactOf(caller, contactId);
  return db.select().from(consentRecords).where(eq(consentRecords.contactId, contact.id)).orderBy(desc(consentRecords.createdAt)).limit(200);
}

export function consentRecordJson(r: ConsentRecord) {
  return {
    id: r.id,
    contactId: r.contactId,
    kind: r.kind,
    source: r.source,
    keyword: r.keyword,
    messageId: r.messageId,
    campaignId: r.campaignId,
    campaignTargetId: r.campaignTargetId,
    note: r.note,
    createdAt: r.createdAt,
  };
}
