import { eq, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { orgCached } from "@/db/org-cache";
import { alertSettings, departments, departmentSlaTargets, organizations } from "@/db/schema";
import { can } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden, validationFailed } from "@/lib/errors";
import { tText, withLocale, type Locale } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { slaElapsedMs } from "@/features/business-hours/business-hours.service";
import { onConversationResolved, type ResolvedConversation } from "@/features/conversations/resolution-hooks";
import { onInboundMessage, type InboundMessageContext } from "@/features/inbound/inbound.service";
import { raiseAlert, resolveAlertsOfConversation } from "./alert.service";
import type { AlertSettingsInput } from "./alert.schema";

/** Lowercase without accents: "URGÊNCIA" and "urgencia" are the same word. */
export function foldText(s: string): string {
  return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** The first of `keywords` found in `text` as a whole word or phrase (case- and accent-insensitive), or null. */
export function matchKeyword(text: string, keywords: readonly string[]): string | null {
  const folded = foldText(text);
  for (const keyword of keywords) {
    const k = foldText(keyword).trim();
    if (!k) continue;
    let from = 0;
    for (let at = folded.indexOf(k, from); at !== -1; at = folded.indexOf(k, from)) {
      const before = at === 0 ? "" : folded[at - 1]!;
      const after = folded[at + k.length] ?? "";
      if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) return keyword;
      from = at + 1;
    }
  }
  return null;
}

async function organizationLanguage(organizationId: string, tx: DbOrTx): Promise<Locale> {
  const [org] = await tx.select({ language: organizations.language }).from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  return org?.language ?? "pt-BR";
}

// ——— Settings: urgency words and per-department targets ———

export async function getAlertSettings(caller: Caller, tx: DbOrTx = db): Promise<{ urgencyKeywords: string[] }> {
  const [row] = await tx
    .select()
    .from(alertSettings)
    .where(eq(alertSettings.organizationId, organizationOf(caller)))
    .limit(1);
  return { urgencyKeywords: row?.urgencyKeywords ?? [] };
}

function assertAdmin(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.manageOrganization(caller.role))) throw forbidden(tText("alerts:errors.adminsOnly"));
}

/** Admins list the organization's urgency words (deduplicated ignoring case and accents). */
export async function setAlertSettings(caller: Caller, input: AlertSettingsInput, tx?: DbOrTx): Promise<{ urgencyKeywords: string[] }> {
  assertAdmin(caller);
  const organizationId = organizationOf(caller);
  const seen = new Set<string>();
  const urgencyKeywords = input.urgencyKeywords.filter((k) => {
    const folded = foldText(k);
    if (seen.has(folded)) return false;
    seen.add(folded);
    return true;
  });
  return inTransaction(tx, async (tx) => {
    await tx
      .insert(alertSettings)
      .values({ organizationId, urgencyKeywords })
      .onConflictDoUpdate({ target: alertSettings.organizationId, set: { urgencyKeywords } });
    await auditChange(tx, organizationId, caller, "alert.settings_updated", { type: "organization", id: organizationId }, { urgencyKeywords });
    return { urgencyKeywords };
  });
}

export type DepartmentTargets = { departmentId: string; departmentName: string; firstResponseMinutes: number | null; resolutionMinutes: number | null };

export async function listDepartmentTargets(caller: Caller, tx: DbOrTx = db): Promise<DepartmentTargets[]> {
  const organizationId = organizationOf(caller);
  const rows = await tx
    .select({
      departmentId: departments.id,
      departmentName: departments.name,
      firstResponseMinutes: departmentSlaTargets.firstResponseMinutes,
      resolutionMinutes: departmentSlaTargets.resolutionMinutes,
    })
    .from(departments)
    .leftJoin(departmentSlaTargets, eq(departmentSlaTargets.departmentId, departments.id))
    .where(eq(departments.organizationId, organizationId))
    .orderBy(departments.name);
  return rows;
}

/** Admins set a department's first-response and resolution targets in minutes (null: none). */
export async function setDepartmentTargets(
  caller: Caller,
  departmentId: string,
  input: { firstResponseMinutes: number | null; resolutionMinutes: number | null },
  tx?: DbOrTx,
): Promise<DepartmentTargets> {
  assertAdmin(caller);
  const organizationId = organizationOf(caller);
  for (const [path, v] of Object.entries(input)) {
    if (v !== null && (!Number.isInteger(v) || v <= 0)) throw validationFailed([{ path, message: tText("alerts:errors.targetPositive") }]);
  }
  return inTransaction(tx, async (tx) => {
    const [department] = isUuid(departmentId)
      ? await tx
          .select({ id: departments.id, name: departments.name })
          .from(departments)
          .where(sql`${departments.id} = ${departmentId}::uuid and ${departments.organizationId} = ${organizationId}::uuid`)
          .limit(1)
      : [];
    if (!department) throw new AppError("not_found", tText("alerts:errors.departmentNotFound"));
    await tx
      .insert(departmentSlaTargets)
      .values({ departmentId: department.id, organizationId, ...input })
      .onConflictDoUpdate({ target: departmentSlaTargets.departmentId, set: input });
    await auditChange(tx, organizationId, caller, "alert.targets_updated", { type: "department", id: department.id }, input);
    return { departmentId: department.id, departmentName: department.name, ...input };
  });
}

// ——— Keyword alerts on inbound messages ———

/** The urgency words every inbound message is matched against: cached per organization (src/db/org-cache.ts). */
const cachedUrgencyKeywords = orgCached({
  tables: ["alert_settings"],
  load: async (organizationId): Promise<readonly string[]> => {
    const [row] = await db
      .select({ urgencyKeywords: alertSettings.urgencyKeywords })
      .from(alertSettings)
      .where(eq(alertSettings.organizationId, organizationId))
      .limit(1);
    return row?.urgencyKeywords ?? [];
  },
});

/** An inbound message with one of the organization's urgency words raises one keyword alert (onInboundMessage). */
export async function keywordAlertFor(ctx: InboundMessageContext): Promise<void> {
  const organizationId = ctx.conversation.organizationId;
  const text = ctx.message.body ?? ctx.message.transcript;
  if (!organizationId || !text || ctx.message.direction !== "inbound") return;
  const urgencyKeywords = await cachedUrgencyKeywords(organizationId);
  const keyword = urgencyKeywords.length > 0 ? matchKeyword(text, urgencyKeywords) : null;
  if (!keyword) return;
  const language = await organizationLanguage(organizationId, db);
  await db.transaction((tx) =>
    raiseAlert(tx, organizationId, {
      type: "keyword",
      severity: "high",
      conversationId: ctx.conversation.id,
      message: withLocale({ locale: language }, () => tText("alerts:messages.keyword", { keyword })),
      details: { keyword, messageId: ctx.message.id, excerpt: text.slice(0, 200) },
      dedupeKey: `keyword:${ctx.message.id}`,
    }),
  );
}

// ——— SLA breaches (periodic) ———

type SlaCandidate = {
  organization_id: string;
  conversation_id: string;
  department_id: string;
  first_response_minutes: number | null;
  resolution_minutes: number | null;
  waiting_message_id: string | null;
  waiting_since: string | null;
  opened_message_id: string | null;
  opened_at: string;
};

/**
 * One pass of the SLA check: every open conversation of a department with targets whose clock passed
 * its target raises one alert per breach — first response: since the contact's oldest message not yet
 * answered (keyed by that message, so the next unanswered stretch can alert again); resolution: since
 * the conversation (re)opened. Time outside the department's business hours does not count. Safe to run
 * in several processes at once (the dedupe key makes the second insert a no-op). Returns alerts raised.
 */
export async function checkSlaBreaches(now = new Date()): Promise<number> {
  const candidates = rowsOf<SlaCandidate>(
    await db.execute(sql`
      select c.organization_id, c.id as conversation_id, c.department_id, t.first_response_minutes, t.resolution_minutes,
        w.id as waiting_message_id, w.created_at::text as waiting_since,
        o.id as opened_message_id, coalesce(o.created_at, c.created_at)::text as opened_at
      from department_sla_targets t
      join conversations c on c.organization_id = t.organization_id and c.department_id = t.department_id and c.status <> 'resolved'
      left join lateral (
        select a.created_at from conversation_activities a
        where a.conversation_id = c.id and a.kind in ('resolved', 'auto_closed')
        order by a.created_at desc limit 1
      ) r on true
      left join lateral (
        select m.id, m.created_at from messages m
        where m.conversation_id = c.id and m.created_at > coalesce(r.created_at, '-infinity'::timestamptz)
        order by m.created_at, m.id limit 1
      ) o on true
      left join lateral (
        select x.created_at from messages x
        where x.conversation_id = c.id and x.direction = 'outbound' and not x.is_private_note
        order by x.created_at desc, x.id desc limit 1
      ) answered on true
      left join lateral (
        select m.id, m.created_at from messages m
        where m.conversation_id = c.id and m.direction = 'inbound' and m.created_at > coalesce(answered.created_at, '-infinity'::timestamptz)
        order by m.created_at, m.id limit 1
      ) w on true
      where (t.first_response_minutes is not null and w.created_at <= ${now.toISOString()}::timestamptz - make_interval(mins => t.first_response_minutes))
         or (t.resolution_minutes is not null and coalesce(o.created_at, c.created_at) <= ${now.toISOString()}::timestamptz - make_interval(mins => t.resolution_minutes))`),
  );
  let raised = 0;
  const languages = new Map<string, Locale>();
  for (const c of candidates) {
    try {
      let language = languages.get(c.organization_id);
      if (!language) {
        language = await organizationLanguage(c.organization_id, db);
        languages.set(c.organization_id, language);
      }
      const text = (key: string, vars: Record<string, number>) => withLocale({ locale: language }, () => tText(key, vars));
      if (c.first_response_minutes !== null && c.waiting_message_id && c.waiting_since) {
        const minutes = Math.floor((await slaElapsedMs(c.organization_id, c.department_id, new Date(c.waiting_since), now)) / 60_000);
        if (minutes >= c.first_response_minutes) {
          const alert = await db.transaction((tx) =>
            raiseAlert(tx, c.organization_id, {
              type: "first_response_sla",
              severity: "high",
              conversationId: c.conversation_id,
              message: text("alerts:messages.firstResponse", { minutes, target: c.first_response_minutes! }),
              details: {
                targetMinutes: c.first_response_minutes,
                elapsedMinutes: minutes,
                since: new Date(c.waiting_since!).toISOString(),
                messageId: c.waiting_message_id,
              },
              dedupeKey: `first_response:${c.conversation_id}:${c.waiting_message_id}`,
            }),
          );
          if (alert) raised++;
        }
      }
      if (c.resolution_minutes !== null) {
        const minutes = Math.floor((await slaElapsedMs(c.organization_id, c.department_id, new Date(c.opened_at), now)) / 60_000);
        if (minutes >= c.resolution_minutes) {
          const alert = await db.transaction((tx) =>
            raiseAlert(tx, c.organization_id, {
              type: "resolution_sla",
              severity: "medium",
              conversationId: c.conversation_id,
              message: text("alerts:messages.resolution", { minutes, target: c.resolution_minutes! }),
              details: { targetMinutes: c.resolution_minutes, elapsedMinutes: minutes, since: new Date(c.opened_at).toISOString() },
              dedupeKey: `resolution:${c.conversation_id}:${c.opened_message_id ?? c.conversation_id}`,
            }),
          );
          if (alert) raised++;
        }
      }
    } catch (err) {
      log.warn("sla check failed for a conversation", { conversationId: c.conversation_id, err });
    }
  }
  return raised;
}

/** A resolved conversation's SLA alerts are over: they resolve by themselves (keyword and urgency alerts stay for a supervisor). */
async function resolveSlaAlerts({ row }: ResolvedConversation): Promise<void> {
  const organizationId = row.conversation.organizationId;
  if (!organizationId || row.conversation.status !== "resolved") return;
  await db.transaction((tx) => resolveAlertsOfConversation(tx, organizationId, row.conversation.id, ["first_response_sla", "resolution_sla"]));
}

/** Keyword alerts on new inbound messages, SLA alerts closed with their conversation (src/routes.ts calls this once). */
export function wireAlerts(): void {
  if (!onInboundMessage.includes(keywordAlertFor)) onInboundMessage.push(keywordAlertFor);
  if (!onConversationResolved.includes(resolveSlaAlerts)) onConversationResolved.push(resolveSlaAlerts);
}
