import { and, asc, eq, gte, isNotNull, lt, ne, sql, type SQL } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { evictOrganization, orgCached } from "@/db/org-cache";
import {
  contacts,
  departments,
  departmentSurveys,
  organizations,
  satisfactionFeedback,
  users,
  workflows,
  type HandlingStatus,
  type NpsCategory,
} from "@/db/schema";
import { can } from "@/auth/roles";
import { systemCaller, type Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { DEFAULT_TIME_ZONE, tText, zonedWallTimeToDate } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { keysetPage, type Page } from "@/lib/pager";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { onConversationResolved, type ResolvedConversation } from "@/features/conversations/resolution-hooks";
import { keepConversationResolved } from "@/features/conversations/supervision";
import { inboundClaims, type InboundMessageContext } from "@/features/inbound/inbound.service";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { fillTemplate } from "@/features/templates/template.render";
import { SATISFACTION_LIMITS, type FeedbackListQuery, type NpsQuery, type SurveySettingsInput, type UpdateTaskInput } from "./satisfaction.schema";
import { parseNpsScore } from "./nps-answer";

export type Feedback = typeof satisfactionFeedback.$inferSelect;
export type DepartmentSurvey = typeof departmentSurveys.$inferSelect;

const notFound = () => new AppError("not_found", tText("satisfaction:errors.notFound"));

/** NPS categories (seed 002): detractor 0–6, neutral 7–8, promoter 9–10. */
export function npsCategory(score: number): NpsCategory {
  if (score >= 9) return "promoter";
  if (score >= 7) return "neutral";
  return "detractor";
}

/** NPS = % promoters − % detractors, rounded; null with no answers. */
export function npsOf(counts: { promoters: number; detractors: number; total: number }): number | null {
  if (counts.total === 0) return null;
  return Math.round(((counts.promoters - counts.detractors) * 100) / counts.total);
}

function assertSupervisor(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.superviseConversations(caller.role))) throw forbidden(tText("satisfaction:errors.forbidden"));
}

// ——— Survey settings per department ———

export type DepartmentSurveyEntry = { departmentId: string; departmentName: string; survey: DepartmentSurvey | null };

/** Every department of the organization with its survey (null when never set). */
export async function listDepartmentSurveys(caller: Caller, tx: DbOrTx = db): Promise<DepartmentSurveyEntry[]> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  const rows = await tx
    .select({ departmentId: departments.id, departmentName: departments.name, survey: departmentSurveys })
    .from(departments)
    .leftJoin(departmentSurveys, eq(departmentSurveys.departmentId, departments.id))
    .where(eq(departments.organizationId, organizationId))
    .orderBy(asc(departments.name));
  return rows.map((r) => ({ departmentId: r.departmentId, departmentName: r.departmentName, survey: r.survey }));
}

async function departmentOf(organizationId: string, departmentId: string, tx: DbOrTx) {
  if (!isUuid(departmentId)) throw new AppError("not_found", tText("satisfaction:errors.departmentNotFound"));
  const [row] = await tx
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(and(eq(departments.id, departmentId), eq(departments.organizationId, organizationId)))
    .limit(1);
  if (!row) throw new AppError("not_found", tText("satisfaction:errors.departmentNotFound"));
  return row;
}

export async function getDepartmentSurvey(caller: Caller, departmentId: string, tx: DbOrTx = db): Promise<DepartmentSurveyEntry> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  const department = await departmentOf(organizationId, departmentId, tx);
  const [survey] = await tx.select().from(departmentSurveys).where(eq(departmentSurveys.departmentId, department.id)).limit(1);
  return { departmentId: department.id, departmentName: department.name, survey: survey ?? null };
}

/** Admins set a department's survey (supervisors read it). */
export async function setDepartmentSurvey(caller: Caller, departmentId: string, input: SurveySettingsInput, tx?: DbOrTx): Promise<DepartmentSurvey> {
  if (caller.type === "user" && !(caller.role && can.manageOrganization(caller.role))) throw forbidden(tText("satisfaction:errors.adminsOnly"));
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const department = await departmentOf(organizationId, departmentId, tx);
    const values = { enabled: input.enabled, template: input.template, commentPrompt: input.commentPrompt ?? null };
    const [row] = await tx
      .insert(departmentSurveys)
      .values({ departmentId: department.id, organizationId, ...values })
      .onConflictDoUpdate({ target: departmentSurveys.departmentId, set: values })
      .returning();
    await auditChange(tx, organizationId, caller, "satisfaction.survey_updated", { type: "department", id: department.id }, { enabled: input.enabled });
    return row!;
  });
}

export function surveyJson(entry: DepartmentSurveyEntry) {
  return {
    departmentId: entry.departmentId,
    departmentName: entry.departmentName,
    enabled: entry.survey?.enabled ?? false,
    template: entry.survey?.template ?? null,
    commentPrompt: entry.survey?.commentPrompt ?? null,
  };
}

// ——— Sending the survey after a resolution ———

/**
 * After a resolution (onConversationResolved): when the conversation's department has an enabled survey,
 * record it (agent, department, and the AI workflow when no person resolved it) and send its text to the
 * contact through the normal outbound path. Auto-closed conversations (the contact went quiet) and groups
 * get none; a conversation gets one survey per resolution (a re-run finds it already sent).
 */
export async function sendSurveyAfterResolution({ caller, row, reason }: ResolvedConversation): Promise<Feedback | null> {
  const conversation = row.conversation;
  const organizationId = conversation.organizationId;
  if (!organizationId || conversation.status !== "resolved" || !conversation.resolvedAt || !conversation.departmentId) return null;
  if (reason === "auto_close" || row.contact.kind === "group") return null;
  const [survey] = await db
    .select()
    .from(departmentSurveys)
    .where(
      and(
        eq(departmentSurveys.departmentId, conversation.departmentId),
        eq(departmentSurveys.organizationId, organizationId),
        eq(departmentSurveys.enabled, true),
      ),
    )
    .limit(1);
  if (!survey) return null;
  const resolvedAt = conversation.resolvedAt;
  const agentUserId = conversation.assignedUserId ?? (caller.type === "user" ? caller.id : null);
  const workflowId = caller.type === "user" ? null : conversation.workflowId;
  const feedback = await db.transaction(async (tx) => {
    // This resolution already has its survey (the hook ran again).
    const [already] = await tx
      .select({ id: satisfactionFeedback.id })
      .from(satisfactionFeedback)
      .where(and(eq(satisfactionFeedback.conversationId, conversation.id), gte(satisfactionFeedback.sentAt, resolvedAt)))
      .limit(1);
    if (already) return null;
    // An older survey still waiting on this conversation is superseded by the new one.
    await tx
      .update(satisfactionFeedback)
      .set({ state: "closed" })
      .where(and(eq(satisfactionFeedback.conversationId, conversation.id), ne(satisfactionFeedback.state, "closed")));
    const [inserted] = await tx
      .insert(satisfactionFeedback)
      .values({
        organizationId,
        conversationId: conversation.id,
        contactId: row.contact.id,
        instanceId: conversation.instanceId,
        departmentId: conversation.departmentId,
        agentUserId,
        workflowId,
        sentAt: resolvedAt,
        expiresAt: new Date(resolvedAt.getTime() + SATISFACTION_LIMITS.answerWindowHours * 3_600_000),
      })
      .onConflictDoNothing()
      .returning();
    return inserted ?? null;
  });
  if (!feedback) return null;
  // This process takes the answer at once, without waiting for the trigger's NOTIFY.
  evictOrganization("satisfaction_feedback", organizationId);
  const agentName = agentUserId
    ? ((
        await db
          .select({ name: sql<string>`coalesce(${users.name}, ${users.email})` })
          .from(users)
          .where(eq(users.id, agentUserId))
          .limit(1)
      )[0]?.name ?? "")
    : "";
  const vars: Record<string, string> = {};
  vars["contact.name"] = row.contact.name ?? "";
  vars["agent.name"] = agentName;
  const text = fillTemplate(survey.template, vars);
  try {
    await queueOutboundMessage(
      systemCaller("satisfaction", organizationId),
      { instanceId: conversation.instanceId, contactId: row.contact.id, type: "text", text },
      { sentBy: "bot" },
    );
  } catch (err) {
    // Not sent (instance disconnected, contact opted out…): no survey is waiting for an answer.
    await db.delete(satisfactionFeedback).where(eq(satisfactionFeedback.id, feedback.id));
    log.warn("satisfaction survey not sent", { conversationId: conversation.id, err });
    return null;
  }
  return feedback;
}

// ——— The contact's answer ———

/**
 * An inbound message on a conversation with a survey waiting (inboundClaims, before automation): a 0–10
 * score while it waits for one (see nps-answer.ts for what is accepted), then the next message as the
 * comment. Either is taken without reopening the conversation or reaching automation or menus; a
 * detractor's score opens a handling task. Any other message closes the survey and goes on as usual.
 */
export async function takeSurveyAnswer(ctx: InboundMessageContext, now = new Date()): Promise<boolean> {
  const organizationId = ctx.conversation.organizationId;
  if (!organizationId || ctx.message.direction !== "inbound") return false;
  // No survey of the organization waits for an answer (most never send one): no transaction, no query.
  if (!(await surveyMayBeWaiting(organizationId))) return false;
  const text = ctx.message.body ?? ctx.message.transcript ?? "";
  return db
    .transaction(async (tx) => {
      const [survey] = await tx
        .select()
        .from(satisfactionFeedback)
        .where(and(eq(satisfactionFeedback.conversationId, ctx.conversation.id), ne(satisfactionFeedback.state, "closed")))
        .limit(1)
        .for("update");
      if (!survey) return false;
      const commentDue = survey.answeredAt && now.getTime() - survey.answeredAt.getTime() <= SATISFACTION_LIMITS.commentWindowMinutes * 60_000;
      if (survey.state === "scored" && commentDue && text.trim() !== "") {
        await tx
          .update(satisfactionFeedback)
          .set({ comment: text.trim().slice(0, SATISFACTION_LIMITS.comment), state: "closed" })
          .where(eq(satisfactionFeedback.id, survey.id));
        await keepConversationResolved(organizationId, ctx.conversation.id, survey.sentAt, tx);
        return true;
      }
      const score = survey.state === "sent" && now < survey.expiresAt ? parseNpsScore(text) : null;
      if (score === null) {
        await tx.update(satisfactionFeedback).set({ state: "closed" }).where(eq(satisfactionFeedback.id, survey.id));
        return false;
      }
      const category = npsCategory(score);
      await tx
        .update(satisfactionFeedback)
        .set({ npsScore: score, category, answeredAt: now, state: "scored", handlingStatus: category === "detractor" ? "pending" : null })
        .where(eq(satisfactionFeedback.id, survey.id));
      await keepConversationResolved(organizationId, ctx.conversation.id, survey.sentAt, tx);
      return true;
    })
    .then(async (taken) => {
      if (taken) await inviteComment(ctx, organizationId);
      return taken;
    });
}

/**
 * Whether any survey of the organization is waiting for a score or a comment, as every inbound message
 * asks it: cached per organization (src/db/org-cache.ts; a survey sent, closed or deleted evicts it).
 */
const surveyMayBeWaiting = orgCached({
  tables: ["satisfaction_feedback"],
  load: async (organizationId) => {
    const [row] = await db
      .select({ id: satisfactionFeedback.id })
      .from(satisfactionFeedback)
      .where(and(eq(satisfactionFeedback.organizationId, organizationId), ne(satisfactionFeedback.state, "closed")))
      .limit(1);
    return !!row;
  },
});

/** After a score: the department's comment prompt, when it has one and the survey now waits for the comment. */
async function inviteComment(ctx: InboundMessageContext, organizationId: string): Promise<void> {
  const [row] = await db
    .select({ prompt: departmentSurveys.commentPrompt, state: satisfactionFeedback.state })
    .from(satisfactionFeedback)
    .innerJoin(departmentSurveys, eq(departmentSurveys.departmentId, satisfactionFeedback.departmentId))
    .where(and(eq(satisfactionFeedback.conversationId, ctx.conversation.id), eq(satisfactionFeedback.state, "scored")))
    .limit(1);
  if (!row?.prompt) return;
  try {
    await queueOutboundMessage(
      systemCaller("satisfaction", organizationId),
      { instanceId: ctx.conversation.instanceId, contactId: ctx.contact.id, type: "text", text: row.prompt },
      { sentBy: "bot" },
    );
  } catch (err) {
    log.warn("satisfaction comment prompt not sent", { conversationId: ctx.conversation.id, err });
  }
}

// ——— Answers, tasks, dashboard ———

export type FeedbackRow = Feedback & {
  contactName: string | null;
  contactPhone: string | null;
  agentName: string | null;
  departmentName: string | null;
  workflowName: string | null;
};

const feedbackColumns = {
  feedback: satisfactionFeedback,
  contactName: contacts.name,
  contactPhone: contacts.phone,
  agentName: sql<string | null>`coalesce(${users.name}, ${users.email})`,
  departmentName: departments.name,
  workflowName: workflows.name,
};

function joinedFeedback(tx: DbOrTx, extra: Record<string, SQL>) {
  return tx
    .select({ ...feedbackColumns, ...extra })
    .from(satisfactionFeedback)
    .innerJoin(contacts, eq(contacts.id, satisfactionFeedback.contactId))
    .leftJoin(users, eq(users.id, satisfactionFeedback.agentUserId))
    .leftJoin(departments, eq(departments.id, satisfactionFeedback.departmentId))
    .leftJoin(workflows, eq(workflows.id, satisfactionFeedback.workflowId));
}

type JoinedRow = {
  feedback: Feedback;
  contactName: string | null;
  contactPhone: string | null;
  agentName: string | null;
  departmentName: string | null;
  workflowName: string | null;
};
const flatten = (r: JoinedRow): FeedbackRow => ({
  ...r.feedback,
  contactName: r.contactName,
  contactPhone: r.contactPhone,
  agentName: r.agentName,
  departmentName: r.departmentName,
  workflowName: r.workflowName,
});

export function feedbackJson(f: FeedbackRow) {
  return {
    id: f.id,
    conversationId: f.conversationId,
    contact: { id: f.contactId, name: f.contactName, phone: f.contactPhone },
    agentUserId: f.agentUserId,
    agentName: f.agentName,
    departmentId: f.departmentId,
    departmentName: f.departmentName,
    workflowId: f.workflowId,
    workflowName: f.workflowName,
    sentAt: f.sentAt,
    answeredAt: f.answeredAt,
    npsScore: f.npsScore,
    category: f.category,
    comment: f.comment,
    handlingStatus: f.handlingStatus,
    handlingNotes: f.handlingNotes,
    handlingScore: f.handlingScore,
    handledBy: f.handledBy,
    handledAt: f.handledAt,
  };
}

/** Answered surveys (or, with `tasks`, detractors' handling tasks), newest answer first. */
export async function listFeedback(caller: Caller, query: FeedbackListQuery, tx: DbOrTx = db): Promise<Page<FeedbackRow>> {
  assertSupervisor(caller);
  const where: SQL[] = [eq(satisfactionFeedback.organizationId, organizationOf(caller)), isNotNull(satisfactionFeedback.answeredAt)];
  if (query.category) where.push(eq(satisfactionFeedback.category, query.category));
  if (query.tasks) where.push(isNotNull(satisfactionFeedback.handlingStatus));
  if (query.handlingStatus) where.push(eq(satisfactionFeedback.handlingStatus, query.handlingStatus));
  return keysetPage<JoinedRow & { sortKey: string | null }, FeedbackRow>(
    { sortBy: satisfactionFeedback.answeredAt, id: satisfactionFeedback.id },
    { limit: query.limit ?? SATISFACTION_LIMITS.pageSize, cursor: query.cursor },
    (q) =>
      joinedFeedback(tx, { sortKey: q.sortKey })
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit) as unknown as Promise<(JoinedRow & { sortKey: string | null })[]>,
    flatten,
    (r) => r.feedback.id,
  );
}

export async function getFeedback(caller: Caller, id: string, tx: DbOrTx = db): Promise<FeedbackRow> {
  assertSupervisor(caller);
  if (!isUuid(id)) throw notFound();
  const [row] = (await joinedFeedback(tx, {})
    .where(and(eq(satisfactionFeedback.id, id), eq(satisfactionFeedback.organizationId, organizationOf(caller))))
    .limit(1)) as JoinedRow[];
  if (!row) throw notFound();
  return flatten(row);
}

/** A supervisor works a detractor's task: status, notes, handling score (1–5); resolving stamps who and when. */
export async function updateTask(caller: Caller, id: string, input: UpdateTaskInput, tx?: DbOrTx): Promise<FeedbackRow> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getFeedback(caller, id, tx);
    if (!current.handlingStatus) throw new AppError("not_found", tText("satisfaction:errors.noTask"));
    const status: HandlingStatus = input.handlingStatus ?? current.handlingStatus;
    const patch: Partial<typeof satisfactionFeedback.$inferInsert> = { handlingStatus: status };
    if (input.handlingNotes !== undefined) patch.handlingNotes = input.handlingNotes;
    if (input.handlingScore !== undefined) patch.handlingScore = input.handlingScore;
    if (status !== current.handlingStatus || input.handlingNotes !== undefined || input.handlingScore !== undefined) {
      patch.handledBy = caller.type === "user" ? caller.id : null;
      patch.handledAt = new Date();
    }
    await tx
      .update(satisfactionFeedback)
      .set(patch)
      .where(and(eq(satisfactionFeedback.id, id), eq(satisfactionFeedback.organizationId, organizationId)));
    await auditChange(
      tx,
      organizationId,
      caller,
      "satisfaction.task_updated",
      { type: "satisfaction_feedback", id },
      { from: current.handlingStatus, to: status, fields: Object.keys(input) },
    );
    return getFeedback(caller, id, tx);
  });
}

export type NpsGroup = { key: string | null; label: string | null; promoters: number; neutrals: number; detractors: number; total: number; nps: number | null };
export type NpsDashboard = {
  from: string;
  to: string;
  timeZone: string;
  bucket: "day" | "week" | "month";
  overall: NpsGroup;
  byPeriod: NpsGroup[];
  byAgent: NpsGroup[];
  byDepartment: NpsGroup[];
  byWorkflow: NpsGroup[];
};

/**
 * The NPS dashboard of a period (dates in the organization's zone, both inclusive; default the last 30
 * days): NPS = % promoters − % detractors overall and per period bucket, agent, department and AI workflow.
 */
export async function npsDashboard(caller: Caller, query: NpsQuery, now = new Date(), tx: DbOrTx = db): Promise<NpsDashboard> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  const [org] = await tx.select({ timeZone: organizations.timeZone }).from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  const timeZone = org?.timeZone ?? DEFAULT_TIME_ZONE;
  const dayInZone = (at: Date) => new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(at);
  const to = query.to ?? dayInZone(now);
  const from = query.from ?? dayInZone(new Date(zonedWallTimeToDate(`${to}T12:00:00`, timeZone).getTime() - 29 * 86_400_000));
  const start = zonedWallTimeToDate(`${from}T00:00:00`, timeZone);
  const endDay = new Date(`${to}T00:00:00Z`);
  endDay.setUTCDate(endDay.getUTCDate() + 1);
  const end = zonedWallTimeToDate(`${endDay.toISOString().slice(0, 10)}T00:00:00`, timeZone);
  const bucket = query.bucket ?? "day";
  const where = and(
    eq(satisfactionFeedback.organizationId, organizationId),
    isNotNull(satisfactionFeedback.npsScore),
    gte(satisfactionFeedback.answeredAt, start),
    lt(satisfactionFeedback.answeredAt, end),
  );
  const counts = {
    promoters: sql<number>`count(*) filter (where ${satisfactionFeedback.category} = 'promoter')::int`,
    neutrals: sql<number>`count(*) filter (where ${satisfactionFeedback.category} = 'neutral')::int`,
    detractors: sql<number>`count(*) filter (where ${satisfactionFeedback.category} = 'detractor')::int`,
    total: sql<number>`count(*)::int`,
  };
  const group = (r: { key: string | null; label: string | null; promoters: number; neutrals: number; detractors: number; total: number }): NpsGroup => ({
    ...r,
    nps: npsOf(r),
  });
  const periodKey = sql<string>`to_char(date_trunc(${bucket}, ${satisfactionFeedback.answeredAt} at time zone ${timeZone}), 'YYYY-MM-DD')`;
  const [overall, byPeriod, byAgent, byDepartment, byWorkflow] = await Promise.all([
    tx
      .select({ key: sql<string | null>`null`, label: sql<string | null>`null`, ...counts })
      .from(satisfactionFeedback)
      .where(where),
    tx
      .select({ key: periodKey, label: sql<string | null>`null`, ...counts })
      .from(satisfactionFeedback)
      .where(where)
      .groupBy(sql`1`)
      .orderBy(sql`1`),
    tx
      .select({ key: satisfactionFeedback.agentUserId, label: sql<string | null>`min(coalesce(${users.name}, ${users.email}))`, ...counts })
      .from(satisfactionFeedback)
      .leftJoin(users, eq(users.id, satisfactionFeedback.agentUserId))
      .where(and(where, isNotNull(satisfactionFeedback.agentUserId)))
      .groupBy(satisfactionFeedback.agentUserId)
      .orderBy(sql`2`),
    tx
      .select({ key: satisfactionFeedback.departmentId, label: sql<string | null>`min(${departments.name})`, ...counts })
      .from(satisfactionFeedback)
      .leftJoin(departments, eq(departments.id, satisfactionFeedback.departmentId))
      .where(and(where, isNotNull(satisfactionFeedback.departmentId)))
      .groupBy(satisfactionFeedback.departmentId)
      .orderBy(sql`2`),
    tx
      .select({ key: satisfactionFeedback.workflowId, label: sql<string | null>`min(${workflows.name})`, ...counts })
      .from(satisfactionFeedback)
      .leftJoin(workflows, eq(workflows.id, satisfactionFeedback.workflowId))
      .where(and(where, isNotNull(satisfactionFeedback.workflowId)))
      .groupBy(satisfactionFeedback.workflowId)
      .orderBy(sql`2`),
  ]);
  return {
    from,
    to,
    timeZone,
    bucket,
    overall: group(overall[0] ?? { key: null, label: null, promoters: 0, neutrals: 0, detractors: 0, total: 0 }),
    byPeriod: byPeriod.map((r) => group({ ...r, label: r.key })),
    byAgent: byAgent.map(group),
    byDepartment: byDepartment.map(group),
    byWorkflow: byWorkflow.map(group),
  };
}

/** Expired surveys stop waiting (so a late "9" is an ordinary message); run by the periodic worker. */
export async function closeExpiredSurveys(now = new Date()): Promise<number> {
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`
      update satisfaction_feedback set state = 'closed', updated_at = now()
      where state <> 'closed'
        and (expires_at <= ${now.toISOString()}::timestamptz
          or (state = 'scored' and answered_at <= ${new Date(now.getTime() - SATISFACTION_LIMITS.commentWindowMinutes * 60_000).toISOString()}::timestamptz))
      returning id`),
  );
  return rows.length;
}

async function surveyAnswerClaim(ctx: InboundMessageContext): Promise<boolean> {
  return takeSurveyAnswer(ctx);
}
async function surveyAfterResolution(resolved: ResolvedConversation): Promise<void> {
  await sendSurveyAfterResolution(resolved);
}

/** Surveys go out after resolutions and take the contact's answer before automation (src/routes.ts calls this once). */
export function wireSatisfaction(): void {
  if (!inboundClaims.includes(surveyAnswerClaim)) inboundClaims.push(surveyAnswerClaim);
  if (!onConversationResolved.includes(surveyAfterResolution)) onConversationResolved.push(surveyAfterResolution);
}
