import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { config } from "@/config";
import { db, notify, rowsOf, type DbOrTx } from "@/db/client";
import { instances, webhookDeliveries, webhooks } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { auditActor, type Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { DELIVERIES_QUEUED_CHANNEL, recordUnroutedEvent } from "@/features/events/event.service";
import { encryptSecret } from "@/lib/crypto";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { cursorBacklogSql } from "./delivery.cursor";
import { clockSql, DELIVERY_RETRIES_CHANNEL, deliveryClock } from "./delivery.queue";
import { generateWebhookSecret, SECRET_GRACE_MS } from "./signing";
import { resolveTarget, TargetRefused } from "@/lib/outbound";
import {
  DISABLED_REASON,
  endpointKindIssues,
  isSinkKind,
  MASKED_HEADER_VALUE,
  type CreateWebhookInput,
  type EndpointKind,
  type UpdateWebhookInput,
} from "./webhook.schema";
import { closeSinkConnection, openSinkUrl, sealSinkUrl, sinkGuardUrl } from "./sink.transport";
import { retentionExpiresOn } from "@/features/retention/retention.service";

export type Webhook = typeof webhooks.$inferSelect;

/** The 404 of an endpoint that is not this organization's (or does not exist). */
export const webhookNotFound = () => new AppError("not_found", tText("webhooks:errors.notFound"));

/** Custom header names with their values masked, for responses and pages (values can be credentials). */
export function maskedHeaders(headersEnc: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(headersEnc).map((name) => [name, MASKED_HEADER_VALUE]));
}

/**
 * Headers as stored: every value encrypted. A masked value keeps the value stored under that name
 * (names compare case-insensitively); one with nothing stored to keep is a 422.
 */
function sealHeaders(headers: Record<string, string>, stored: Record<string, string> = {}): Record<string, string> {
  const storedByName = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
  const sealed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== MASKED_HEADER_VALUE) sealed[name] = encryptSecret(value);
    else if (storedByName.has(name.toLowerCase())) sealed[name] = storedByName.get(name.toLowerCase())!;
    else throw validationFailed([{ path: `headers.${name}`, message: tText("webhooks:validation.maskedNeedsValue", { name, mask: MASKED_HEADER_VALUE }) }]);
  }
  return sealed;
}

/**
 * Boot step for databases from before headers were encrypted: moves plaintext custom headers into
 * `headersEnc` and masks their values in the attempt log already recorded. Idempotent and a no-op
 * once done (the partial scan finds nothing). First attempts kept on delivery rows (`first_attempt`,
 * drizzle/0067) came later and were always written masked: nothing to mask there.
 */
export async function sealPlaintextWebhookHeaders(): Promise<number> {
  return db.transaction(async (tx) => {
    const legacy = await tx
      .select({ id: webhooks.id, headers: webhooks.headers, headersEnc: webhooks.headersEnc })
      .from(webhooks)
      .where(sql`${webhooks.headers} <> '{}'::jsonb`)
      .for("update");
    for (const hook of legacy) {
      const sealed = Object.fromEntries(Object.entries(hook.headers).map(([name, value]) => [name, encryptSecret(value)]));
      await tx
        .update(webhooks)
        .set({ headers: {}, headersEnc: { ...sealed, ...hook.headersEnc } })
        .where(eq(webhooks.id, hook.id));
      // The attempt log stored the names lower-cased, as sent.
      const names = sql`array[${sql.join(
        Object.keys(hook.headers).map((name) => sql`${name.toLowerCase()}`),
        sql`, `,
      )}]::text[]`;
      await tx.execute(sql`
        update webhook_attempts a
        set request_headers = (
          select jsonb_object_agg(h.key, case when h.key = any(${names}) then to_jsonb(${MASKED_HEADER_VALUE}::text) else h.value end)
          from jsonb_each(a.request_headers) h
        )
        from webhook_deliveries d
        where d.id = a.delivery_id and d.webhook_id = ${hook.id} and a.request_headers ?| ${names}
      `);
    }
    return legacy.length;
  });
}

/**
 * A broker URL as stored in `url` and shown: the password (or a NATS token, given as the user) replaced
 * by the mask. The real URL is kept only in `configEnc`.
 */
export function maskSinkUrl(full: string): string {
  const url = new URL(full);
  if (!url.username && !url.password) return full;
  const credentials = url.password ? `${url.username}:${MASKED_HEADER_VALUE}` : MASKED_HEADER_VALUE;
  return `${url.protocol}//${credentials}@${url.host}${url.pathname === "/" && !full.endsWith("/") ? "" : url.pathname}`;
}

/** A broker URL sent back with the mask in it (a PATCH of what GET returned) keeps the stored secret; no stored secret → 422. */
function unmaskSinkUrl(sent: string, storedConfigEnc: string | null): string {
  if (!sent.includes(MASKED_HEADER_VALUE)) return sent;
  const stored = storedConfigEnc ? openSinkUrl(storedConfigEnc) : null;
  const secret = stored ? stored.password || stored.username : "";
  if (!secret) throw validationFailed([{ path: "url", message: tText("webhooks:validation.maskedNeedsValue", { name: "url", mask: MASKED_HEADER_VALUE }) }]);
  return sent.replace(MASKED_HEADER_VALUE, secret);
}

/** The kind's rules (URL form, kind-only fields) as a 422, for callers that bypass the create schema and for updates. */
function assertKindRules(kind: EndpointKind, input: Parameters<typeof endpointKindIssues>[1]): void {
  const issues = endpointKindIssues(kind, input);
  if (issues.length > 0) throw validationFailed(issues);
}

/** The SSRF guard for a broker: its host and port go through the same address checks as webhook URLs. */
async function assertAllowedSink(full: string): Promise<void> {
  await assertAllowedTarget(sinkGuardUrl(new URL(full)));
}

/** What a sink stores: the masked URL, the encrypted connection, its non-secret options. */
function sinkColumns(kind: EndpointKind, full: string, options: { exchange?: string | null; stream?: string | null }) {
  const sinkOptions = kind === "rabbitmq" ? (options.exchange ? { exchange: options.exchange } : {}) : options.stream ? { stream: options.stream } : {};
  return { url: maskSinkUrl(full), configEnc: sealSinkUrl(full), sinkOptions };
}

/** The JSON shape of an endpoint: never the secret (it is returned once, on create and rotate), header values masked. */
export function publicWebhook(w: Webhook) {
  return {
    id: w.id,
    kind: w.kind,
    name: w.name,
    url: w.url,
    exchange: w.kind === "rabbitmq" ? (w.sinkOptions?.exchange ?? null) : null,
    stream: w.kind === "nats" ? (w.sinkOptions?.stream ?? null) : null,
    eventTypes: w.eventTypes,
    instanceIds: w.instanceIds,
    headers: maskedHeaders(w.headersEnc),
    active: w.active,
    disabledAt: w.disabledAt,
    disabledReason: w.disabledReason,
    failingSince: w.failingSince,
    previousSecretExpiresAt: w.previousSecretExpiresAt && w.previousSecretExpiresAt > deliveryClock.now() ? w.previousSecretExpiresAt : null,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

/** The endpoint of the organization, or 404 (also for another organization's id). */
export async function getWebhook(organizationId: string, webhookId: string, tx: DbOrTx = db): Promise<Webhook> {
  if (!isUuid(webhookId)) throw webhookNotFound();
  const [hook] = await tx
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.organizationId, organizationId)));
  if (!hook) throw webhookNotFound();
  return hook;
}

/**
 * A key bound to one instance manages only the endpoints subscribed to exactly that instance: an
 * endpoint of every instance, or of others too, would hand it events of instances it cannot read.
 * Every other endpoint reads as 404, like another organization's.
 */
export function managesWebhook(hook: Pick<Webhook, "instanceIds">, boundInstanceId: string | null | undefined): boolean {
  return !boundInstanceId || (hook.instanceIds?.length === 1 && hook.instanceIds[0] === boundInstanceId);
}

/**
 * The `instanceIds` of an endpoint created or edited with a key bound to one instance: that instance
 * (also when omitted). Another instance's id reads as 404; every instance (null) is refused.
 */
export function boundInstanceIds(requested: string[] | null | undefined, boundInstanceId: string): string[] {
  if (requested === null) throw new AppError("forbidden", tText("webhooks:errors.boundKey"));
  if (requested?.some((id) => id !== boundInstanceId)) throw new AppError("not_found", tText("webhooks:errors.instanceNotFound"));
  return [boundInstanceId];
}

/** Oldest first; `boundInstanceId` (a key bound to one instance) lists only the endpoints it manages. */
export async function listWebhooks(
  organizationId: string,
  query: { limit: number; cursor?: string; boundInstanceId?: string | null } = { limit: 100 },
  tx: DbOrTx = db,
): Promise<Page<Webhook>> {
  const conditions: SQL[] = [eq(webhooks.organizationId, organizationId)];
  if (query.boundInstanceId) conditions.push(sql`${webhooks.instanceIds} = array[${query.boundInstanceId}]::uuid[]`);
  return keysetPage(
    { sortBy: webhooks.createdAt, id: webhooks.id, order: "asc" },
    query,
    (q) =>
      tx
        .select({ webhook: webhooks, sortKey: q.sortKey })
        .from(webhooks)
        .where(and(...conditions, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.webhook,
    (r) => r.webhook.id,
  );
}

/**
 * SSRF guard at save time: the URL must resolve to public addresses only (unless private targets
 * are allowed). The worker checks again before every request, since DNS can change later.
 */
export async function assertAllowedTarget(url: string): Promise<void> {
  if (config.allowPrivateWebhookTargets) return;
  try {
    await resolveTarget(url);
  } catch (err) {
    if (err instanceof TargetRefused) throw validationFailed([{ path: "url", message: err.message }], tText("webhooks:errors.urlNotAllowed"));
    throw err;
  }
}

/** Every id must be an instance of the organization; unknown ids are a 422 on `instanceIds`. */
async function assertInstancesOf(organizationId: string, instanceIds: string[] | null | undefined, tx: DbOrTx): Promise<void> {
  if (!instanceIds?.length) return;
  const found = await tx
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.organizationId, organizationId), inArray(instances.id, instanceIds)));
  if (found.length !== instanceIds.length) {
    const known = new Set(found.map((f) => f.id));
    const missing = instanceIds.filter((id) => !known.has(id));
    throw validationFailed([{ path: "instanceIds", message: tText("webhooks:validation.unknownInstance", { id: missing[0] }) }]);
  }
}

/** Creates an endpoint; `secret` is returned only here (and on rotation). */
export async function createWebhook(caller: Caller, input: CreateWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
  const organizationId = organizationOf(caller);
  const kind = input.kind ?? "webhook";
  assertKindRules(kind, input);
  if (isSinkKind(kind)) await assertAllowedSink(input.url);
  else await assertAllowedTarget(input.url);
  // A sink signs its messages too (the same Standard Webhooks headers), so it has a secret like any endpoint.
  const secret = generateWebhookSecret();
  const webhook = await db.transaction(async (tx) => {
    await assertInstancesOf(organizationId, input.instanceIds, tx);
    const [hook] = await tx
      .insert(webhooks)
      .values({
        organizationId,
        name: input.name ?? "",
        kind,
        url: input.url,
        ...(isSinkKind(kind) ? sinkColumns(kind, input.url, input) : {}),
        secretEnc: encryptSecret(secret),
        headersEnc: sealHeaders(input.headers ?? {}),
        eventTypes: input.eventTypes ?? null,
        instanceIds: input.instanceIds ?? null,
      })
      .returning();
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        request: caller.request,
        action: "webhook.created",
        target: { type: "webhook", id: hook!.id },
        details: { kind, url: hook!.url },
      },
      tx,
    );
    return hook!;
  });
  return { webhook, secret };
}

/** Partial update; enabling clears the disabled state and the failure streak, disabling pauses deliveries. */
export async function updateWebhook(caller: Caller, webhookId: string, input: UpdateWebhookInput): Promise<Webhook> {
  const organizationId = organizationOf(caller);
  const current = await getWebhook(organizationId, webhookId);
  const sink = isSinkKind(current.kind);
  let sinkUrl: string | undefined;
  if (sink && input.url !== undefined) {
    sinkUrl = unmaskSinkUrl(input.url, current.configEnc);
    assertKindRules(current.kind, { ...input, url: sinkUrl });
  } else assertKindRules(current.kind, input);
  if (sinkUrl !== undefined && input.url !== current.url) await assertAllowedSink(sinkUrl);
  if (!sink && input.url !== undefined && input.url !== current.url) await assertAllowedTarget(input.url);
  const updated = await db.transaction(async (tx) => {
    if (input.instanceIds !== undefined) await assertInstancesOf(organizationId, input.instanceIds, tx);
    const set: Partial<typeof webhooks.$inferInsert> = {};
    if (sink) {
      if (sinkUrl !== undefined && input.url !== current.url) Object.assign(set, sinkColumns(current.kind, sinkUrl, {}));
      if (input.exchange !== undefined || input.stream !== undefined || set.sinkOptions !== undefined) {
        set.sinkOptions = {
          ...(current.kind === "rabbitmq" ? { exchange: input.exchange === undefined ? current.sinkOptions?.exchange : (input.exchange ?? undefined) } : {}),
          ...(current.kind === "nats" ? { stream: input.stream === undefined ? current.sinkOptions?.stream : (input.stream ?? undefined) } : {}),
        };
      }
    } else if (input.url !== undefined) set.url = input.url;
    if (input.name !== undefined) set.name = input.name;
    if (input.eventTypes !== undefined) set.eventTypes = input.eventTypes;
    if (input.instanceIds !== undefined) set.instanceIds = input.instanceIds;
    if (input.headers !== undefined) set.headersEnc = sealHeaders(input.headers, current.headersEnc);
    if (input.active === true && !current.active) Object.assign(set, { active: true, disabledAt: null, disabledReason: null, failingSince: null });
    if (input.active === false && current.active) Object.assign(set, { active: false, disabledAt: deliveryClock.now(), disabledReason: DISABLED_REASON.user });
    if (Object.keys(set).length === 0) return current;
    const [hook] = await tx
      .update(webhooks)
      .set(set)
      .where(and(eq(webhooks.id, webhookId), eq(webhooks.organizationId, organizationId)))
      .returning();
    if (!hook) throw webhookNotFound();
    const action =
      input.active === true && !current.active ? "webhook.enabled" : input.active === false && current.active ? "webhook.disabled" : "webhook.updated";
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        request: caller.request,
        action,
        target: { type: "webhook", id: hook.id },
        details: {
          fields: Object.keys(set)
            .filter((field) => field !== "configEnc")
            .map((field) => (field === "headersEnc" ? "headers" : field)),
        },
      },
      tx,
    );
    // Re-enabled endpoints may have deliveries that waited while paused.
    if (set.active === true) await notify(DELIVERIES_QUEUED_CHANNEL, "", tx);
    return hook;
  });
  // This process's broker connection follows the change at once; other processes notice the new settings on their next publish.
  if (sink) await closeSinkConnection(webhookId);
  return updated;
}

export async function deleteWebhook(caller: Caller, webhookId: string): Promise<void> {
  const organizationId = organizationOf(caller);
  await db.transaction(async (tx) => {
    // The endpoint's attempts go first: no foreign key cascades from deliveries to attempts since both
    // tables are partitioned (drizzle/0059); the deliveries go by their cascade from webhooks.
    await tx.execute(sql`
      delete from webhook_attempts a using webhook_deliveries d
      where a.delivery_id = d.id and d.webhook_id = ${webhookId} and d.organization_id = ${organizationId}`);
    const [hook] = await tx
      .delete(webhooks)
      .where(and(eq(webhooks.id, webhookId), eq(webhooks.organizationId, organizationId)))
      .returning({ id: webhooks.id, url: webhooks.url });
    if (!hook) throw webhookNotFound();
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        request: caller.request,
        action: "webhook.deleted",
        target: { type: "webhook", id: hook.id },
        details: { url: hook.url },
      },
      tx,
    );
  });
  await closeSinkConnection(webhookId);
}

/**
 * New signing secret, returned once. The old one keeps signing for 24 h (two `v1,` entries in
 * `webhook-signature`) so subscribers can switch without dropping messages; rotating again within
 * the window drops the oldest.
 */
export async function rotateWebhookSecret(caller: Caller, webhookId: string): Promise<{ webhook: Webhook; secret: string; previousSecretExpiresAt: Date }> {
  const organizationId = organizationOf(caller);
  const secret = generateWebhookSecret();
  const previousSecretExpiresAt = new Date(deliveryClock.now().getTime() + SECRET_GRACE_MS);
  return db.transaction(async (tx) => {
    const [hook] = await tx
      .update(webhooks)
      .set({ previousSecretEnc: sql`${webhooks.secretEnc}`, previousSecretExpiresAt, secretEnc: encryptSecret(secret) })
      .where(and(eq(webhooks.id, webhookId), eq(webhooks.organizationId, organizationId)))
      .returning();
    if (!hook) throw webhookNotFound();
    await recordAudit(
      { organizationId, actor: auditActor(caller), request: caller.request, action: "webhook.secret_rotated", target: { type: "webhook", id: hook.id } },
      tx,
    );
    return { webhook: hook, secret, previousSecretExpiresAt };
  });
}

/**
 * Sends a `webhook.test` event to this endpoint only (not through recordEvent, which would fan it
 * out to every endpoint subscribed to all types). The event is logged like any other.
 */
export async function sendTestEvent(caller: Caller, webhookId: string): Promise<{ eventId: string; deliveryId: string }> {
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const hook = await getWebhook(organizationId, webhookId, tx);
    if (!hook.active) throw new AppError("conflict", tText("webhooks:errors.disabledTest"));
    const event = await recordUnroutedEvent(
      {
        organizationId,
        apiKeyId: caller.type === "api_key" ? caller.id : null,
        type: "webhook.test",
        data: { webhookId: hook.id, message: "Test event from LivChat: your endpoint is reachable." },
      },
      tx,
    );
    const [delivery] = await tx
      .insert(webhookDeliveries)
      .values({
        organizationId,
        webhookId: hook.id,
        eventId: event.id,
        eventType: "webhook.test",
        nextAttemptAt: sql`${clockSql()}`,
        expiresOn: retentionExpiresOn(organizationId, "deliveries"),
      })
      .returning({ id: webhookDeliveries.id });
    await notify(DELIVERY_RETRIES_CHANNEL, "", tx);
    return { eventId: event.id, deliveryId: delivery!.id };
  });
}

export type WebhookStats = { total: number; succeeded: number; failing: number; pending: number; successRate: number | null };

/** The success rate looks at no more than this many recent deliveries per endpoint, so it stays cheap at any volume. */
export const STATS_SAMPLE = 1000;

/**
 * Success rate per endpoint over its deliveries of the last 24 h (the most recent `STATS_SAMPLE`
 * of them) that have been attempted: succeeded / (succeeded + failed + exhausted). Each endpoint is
 * one bounded walk of the (webhook_id, created_at) index.
 */
export async function webhookStats(organizationId: string, webhookIds: string[], tx: DbOrTx = db): Promise<Map<string, WebhookStats>> {
  const stats = new Map<string, WebhookStats>();
  if (webhookIds.length === 0) return stats;
  // Events the endpoint's cursor has not reached are pending deliveries without a row yet (delivery.cursor.ts).
  // The backlog is computed once per endpoint (offset 0 keeps the planner from inlining it into every sampled row).
  const result = await tx.execute(sql`
    select h.id as webhook_id, s.total, s.succeeded, s.failing, s.pending, backlog.n::int as backlog
    from unnest(array[${sql.join(
      webhookIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )}]) as h(id)
    join webhooks w on w.id = h.id and w.organization_id = ${organizationId}
    cross join lateral (select ${cursorBacklogSql(sql`w`, sql`${clockSql()} - interval '24 hours'`)} as n offset 0) backlog
    cross join lateral (
      select count(d.status)::int as total,
        count(*) filter (where d.status = 'succeeded')::int as succeeded,
        count(*) filter (where d.status in ('failed', 'exhausted'))::int as failing,
        count(*) filter (where d.status = 'pending')::int as pending
      from (
        select x.status from webhook_deliveries x
        where x.webhook_id = h.id and x.organization_id = ${organizationId}
          and x.created_at > ${clockSql()} - interval '24 hours'
        order by x.created_at desc
        limit ${STATS_SAMPLE}
      ) d
    ) s
  `);
  for (const r of rowsOf<{ webhook_id: string; total: number; succeeded: number; failing: number; pending: number; backlog: number }>(result)) {
    if (r.total === 0 && r.backlog === 0) continue;
    const attempted = r.succeeded + r.failing;
    stats.set(r.webhook_id, {
      total: r.total + r.backlog,
      succeeded: r.succeeded,
      failing: r.failing,
      pending: r.pending + r.backlog,
      successRate: attempted > 0 ? r.succeeded / attempted : null,
    });
  }
  return stats;
}

/** Instances the form offers as filters. */
export async function listInstanceChoices(organizationId: string, tx: DbOrTx = db): Promise<{ id: string; name: string }[]> {
  return tx
    .select({ id: instances.id, name: instances.name })
    .from(instances)
    .where(eq(instances.organizationId, organizationId))
    .orderBy(asc(instances.name))
    .limit(500);
}
