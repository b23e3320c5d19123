import type { AdminContext } from "@/auth/plugin";
import { OUTAGE_SEVERITIES, type OutageNotificationState, type OutageSeverity, type OutageStatus } from "@/db/schema";
import { OUTAGE_LIMITS } from "@/features/outages/outage.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { currentTimeZone, formatNumber, localDateTimeInZone, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, SelectField, Time, fieldError } from "../components/ui";

export type RegionView = { id: string; name: string; cities: string[]; states: string[]; cepPrefixes: string[] };
export type OutageView = {
  id: string;
  title: string;
  description: string | null;
  severity: OutageSeverity;
  status: OutageStatus;
  affected: { regionIds: string[]; custom: { city: string; neighborhoods: string[] }[] };
  estimatedResolutionAt: Date | null;
  noticeMessage: string;
  resolutionMessage: string;
  instanceIds: string[];
  resolvedAt: Date | null;
  createdAt: Date;
};
export type NotificationView = {
  id: string;
  kind: "notice" | "resolution";
  via: "broadcast" | "inbound";
  phone: string | null;
  name: string | null;
  state: OutageNotificationState;
  skipReason: string | null;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  respondedAt: Date | null;
  responseText: string | null;
};
type KindCounts = { total: number; pending: number; notified: number; delivered: number; read: number; responded: number; failed: number; skipped: number };
export type MetricsView = { notice: KindCounts; resolution: KindCounts };
export type InstanceOption = { id: string; name: string };
export type DeclareValues = {
  title?: string;
  description?: string;
  severity?: string;
  regionIds?: string[];
  areas?: string;
  estimatedResolutionAt?: string;
  noticeMessage?: string;
  resolutionMessage?: string;
  instanceIds?: string[];
  perMinute?: string;
  dailyCap?: string;
};

const SEVERITY_TONE = { low: "muted", medium: "warn", high: "bad", critical: "bad" } as const;
const STATUS_TONE = { active: "bad", resolved: "ok", cancelled: "muted" } as const;
const STATE_TONE = { pending: "muted", sending: "warn", sent: "warn", delivered: "ok", read: "ok", failed: "bad", skipped: "muted" } as const;

function Tabs({ active }: { active: "outages" | "regions" }) {
  return (
    <nav class="row wrap tabs" aria-label={tText("outages:title")}>
      <a href="/outages" aria-current={active === "outages" ? "page" : undefined}>
        {t("outages:title")}
      </a>
      <a href="/outages/regions" aria-current={active === "regions" ? "page" : undefined}>
        {t("outages:regions.title")}
      </a>
    </nav>
  );
}

function areasText(o: Pick<OutageView, "affected">, regions: RegionView[]): string {
  const named = o.affected.regionIds.map((id) => regions.find((r) => r.id === id)?.name ?? "—");
  const cities = o.affected.custom.map((c) => (c.neighborhoods.length ? `${c.city} (${c.neighborhoods.join(", ")})` : c.city));
  return [...named, ...cities].join("; ");
}

export function OutagesIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  outages: OutageView[];
  regions: RegionView[];
  nextCursor: string | null;
  canManage: boolean;
}) {
  return (
    <AdminLayout title={tText("outages:title")} admin={props.admin} csrfToken={props.csrfToken} active="outages" flash={props.flash}>
      <link rel="stylesheet" href="/static/outages.css" />
      <div class="row spread">
        <h1>{t("outages:title")}</h1>
        {props.canManage ? (
          <a href="/outages/new" class="button">
            {t("outages:declare")}
          </a>
        ) : (
          ""
        )}
      </div>
      <Tabs active="outages" />
      <p class="muted">{t("outages:intro")}</p>
      {props.outages.length === 0 ? (
        <EmptyState>{t("outages:empty")}</EmptyState>
      ) : (
        <table class="outages-table">
          <thead>
            <tr>
              <th>{t("outages:fields.title")}</th>
              <th>{t("outages:fields.severity")}</th>
              <th>{t("outages:fields.status")}</th>
              <th>{t("outages:fields.areas")}</th>
              <th>{t("outages:fields.declaredAt")}</th>
            </tr>
          </thead>
          <tbody>
            {props.outages.map((o) => (
              <tr id={`outage-${o.id}`}>
                <td>
                  <a href={`/outages/${o.id}`} safe>
                    {o.title}
                  </a>
                </td>
                <td>
                  <Badge tone={SEVERITY_TONE[o.severity]}>{t(`outages:severities.${o.severity}`)}</Badge>
                </td>
                <td>
                  <Badge tone={STATUS_TONE[o.status]}>{t(`outages:statuses.${o.status}`)}</Badge>
                </td>
                <td class="truncate" safe>
                  {areasText(o, props.regions)}
                </td>
                <td>
                  <Time at={o.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor ? (
        <p class="pager">
          <a href={`/outages?cursor=${encodeURIComponent(props.nextCursor)}`}>{t("outages:older")}</a>
        </p>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

function TextArea(props: { name: string; label: string; value?: string; rows?: number; hint?: string; errors?: FieldError[]; maxlength?: number }) {
  const error = fieldError(props.errors, props.name);
  const id = `f-${props.name}`;
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id} safe>
        {props.label}
      </label>
      <textarea id={id} name={props.name} rows={String(props.rows ?? 3)} maxlength={props.maxlength} aria-invalid={error ? "true" : undefined} safe>
        {props.value ?? ""}
      </textarea>
      {props.hint ? (
        <small class="hint" safe>
          {props.hint}
        </small>
      ) : (
        ""
      )}
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

/** Errors on nested paths (affected.custom.0.city, pacing.perMinute) shown on the form field that produced them. */
function errorsFor(errors: FieldError[] | undefined, name: string, prefixes: string[]): FieldError[] {
  return (errors ?? []).filter((e) => prefixes.some((p) => e.path === p || e.path.startsWith(`${p}.`))).map((e) => ({ path: name, message: e.message }));
}

export function DeclareForm(props: { values: DeclareValues; errors?: FieldError[]; regions: RegionView[]; instances: InstanceOption[] }) {
  const v = props.values;
  const regionError = errorsFor(props.errors, "regionIds", ["affected.regionIds", "affected", "regionIds"])[0]?.message;
  const instanceError = errorsFor(props.errors, "instanceIds", ["instanceIds"])[0]?.message;
  return (
    <form id="outage-form" class="card" method="post" action="/outages" hx-post="/outages" hx-target="#outage-form" hx-swap="outerHTML">
      <Field label={tText("outages:fields.title")} name="title" value={v.title} errors={props.errors} required maxlength={OUTAGE_LIMITS.title} />
      <TextArea
        label={tText("outages:fields.description")}
        name="description"
        value={v.description}
        errors={props.errors}
        maxlength={OUTAGE_LIMITS.description}
      />
      <SelectField
        label={tText("outages:fields.severity")}
        name="severity"
        options={OUTAGE_SEVERITIES.map((s) => ({ value: s, label: tText(`outages:severities.${s}`) }))}
        value={v.severity ?? "high"}
        errors={props.errors}
      />
      <fieldset class={regionError ? "field has-error" : "field"}>
        <legend>{t("outages:fields.regions")}</legend>
        {props.regions.length === 0 ? (
          <p class="muted">{t("outages:regions.none")}</p>
        ) : (
          props.regions.map((r) => (
            <label class="checkbox">
              <input type="checkbox" name="regionIds" value={r.id} checked={v.regionIds?.includes(r.id) ?? false} /> <span safe>{r.name}</span>
            </label>
          ))
        )}
        {regionError ? (
          <small class="error" safe>
            {regionError}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <TextArea
        label={tText("outages:fields.areas")}
        name="areas"
        value={v.areas}
        rows={4}
        hint={tText("outages:fields.areasHint")}
        errors={errorsFor(props.errors, "areas", ["affected.custom", "areas"])}
      />
      <Field
        label={tText("outages:fields.estimate", { zone: currentTimeZone() })}
        name="estimatedResolutionAt"
        type="datetime-local"
        value={v.estimatedResolutionAt}
        errors={props.errors}
      />
      <TextArea
        label={tText("outages:fields.noticeMessage")}
        name="noticeMessage"
        value={v.noticeMessage}
        rows={4}
        hint={tText("outages:fields.messageHint")}
        errors={props.errors}
        maxlength={OUTAGE_LIMITS.message}
      />
      <TextArea
        label={tText("outages:fields.resolutionMessage")}
        name="resolutionMessage"
        value={v.resolutionMessage}
        rows={3}
        errors={props.errors}
        maxlength={OUTAGE_LIMITS.message}
      />
      <fieldset class={instanceError ? "field has-error" : "field"}>
        <legend>{t("outages:fields.instances")}</legend>
        {props.instances.map((i) => (
          <label class="checkbox">
            <input type="checkbox" name="instanceIds" value={i.id} checked={v.instanceIds?.includes(i.id) ?? false} /> <span safe>{i.name}</span>
          </label>
        ))}
        {instanceError ? (
          <small class="error" safe>
            {instanceError}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <div class="row wrap">
        <Field
          label={tText("outages:fields.perMinute")}
          name="perMinute"
          type="number"
          value={v.perMinute ?? "20"}
          errors={errorsFor(props.errors, "perMinute", ["pacing.perMinute"])}
        />
        <Field
          label={tText("outages:fields.dailyCap")}
          name="dailyCap"
          type="number"
          value={v.dailyCap ?? "1000"}
          errors={errorsFor(props.errors, "dailyCap", ["pacing.dailyCap"])}
        />
      </div>
      <button type="submit">{t("outages:actions.declare")}</button>
    </form>
  );
}

export function DeclarePage(props: { admin: AdminContext; csrfToken: string; values: DeclareValues; regions: RegionView[]; instances: InstanceOption[] }) {
  return (
    <AdminLayout title={tText("outages:declare")} admin={props.admin} csrfToken={props.csrfToken} active="outages">
      <p>
        <a href="/outages">{t("outages:back")}</a>
      </p>
      <h1>{t("outages:declare")}</h1>
      <DeclareForm values={props.values} regions={props.regions} instances={props.instances} />
    </AdminLayout>
  );
}

/** The live counts: the fragment polls itself while the outage has messages to send. */
export function OutageCounts(props: { outageId: string; metrics: MetricsView; live: boolean }) {
  const rows = [
    ["targets", props.metrics.notice.total],
    ["notified", props.metrics.notice.notified],
    ["delivered", props.metrics.notice.delivered],
    ["read", props.metrics.notice.read],
    ["responded", props.metrics.notice.responded],
    ["pending", props.metrics.notice.pending],
    ["failed", props.metrics.notice.failed],
    ["skipped", props.metrics.notice.skipped],
  ] as const;
  const poll = props.live ? { "hx-get": `/outages/${props.outageId}/counts`, "hx-trigger": "every 5s", "hx-swap": "outerHTML", "hx-target": "this" } : {};
  return (
    <section id="outage-counts" class="card outage-counts" {...poll}>
      <h2>{t("outages:metrics.title")}</h2>
      <dl class="outage-metrics">
        {rows.map(([key, n]) => (
          <div data-metric={key}>
            <dt>{t(`outages:metrics.${key}`)}</dt>
            <dd safe>{formatNumber(n)}</dd>
          </div>
        ))}
      </dl>
      {props.metrics.resolution.total > 0 ? (
        <p data-metric="resolution">
          {t("outages:metrics.resolution")}:{" "}
          <span safe>{`${formatNumber(props.metrics.resolution.notified)} / ${formatNumber(props.metrics.resolution.total)}`}</span>
        </p>
      ) : (
        ""
      )}
    </section>
  );
}

export function NotificationLog(props: { outageId: string; rows: NotificationView[]; nextCursor: string | null }) {
  return (
    <section id="outage-log" class="card">
      <h2>{t("outages:log.title")}</h2>
      {props.rows.length === 0 ? (
        <EmptyState>{t("outages:log.empty")}</EmptyState>
      ) : (
        <table class="outages-table">
          <thead>
            <tr>
              <th>{t("outages:fields.contact")}</th>
              <th>{t("outages:fields.kind")}</th>
              <th>{t("outages:fields.state")}</th>
              <th>{t("outages:fields.sentAt")}</th>
              <th>{t("outages:fields.response")}</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((n) => (
              <tr>
                <td>
                  <span safe>{n.name || n.phone || "—"}</span>
                  {n.name && n.phone ? (
                    <small class="muted" safe>
                      {` ${n.phone}`}
                    </small>
                  ) : (
                    ""
                  )}
                </td>
                <td>
                  <span safe>{tText(`outages:kinds.${n.kind}`)}</span>{" "}
                  <small class="muted" safe>
                    {tText(`outages:via.${n.via}`)}
                  </small>
                </td>
                <td>
                  <Badge tone={STATE_TONE[n.state]}>{t(`outages:states.${n.state}`)}</Badge>
                  {n.skipReason ? (
                    <small class="muted" safe>
                      {` ${tText(`outages:skipReasons.${n.skipReason}`)}`}
                    </small>
                  ) : (
                    ""
                  )}
                </td>
                <td>{n.sentAt ? <Time at={n.sentAt} /> : "—"}</td>
                <td>
                  {n.respondedAt ? (
                    <>
                      <span class="outage-response" safe>
                        {n.responseText ?? ""}
                      </span>{" "}
                      <Time at={n.respondedAt} />
                    </>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor ? (
        <p class="pager">
          <a href={`/outages/${props.outageId}?cursor=${encodeURIComponent(props.nextCursor)}`}>{t("outages:log.older")}</a>
        </p>
      ) : (
        ""
      )}
    </section>
  );
}

export type EditValues = Pick<DeclareValues, "title" | "description" | "severity" | "estimatedResolutionAt" | "noticeMessage" | "resolutionMessage">;

/** The fields of an active outage that may change (areas and numbers stay as declared: the audience was materialised then). */
export function OutageEditForm(props: { outage: OutageView; values?: EditValues; errors?: FieldError[] }) {
  const o = props.outage;
  const v = props.values ?? {
    title: o.title,
    description: o.description ?? "",
    severity: o.severity,
    estimatedResolutionAt: o.estimatedResolutionAt ? localDateTimeInZone(o.estimatedResolutionAt) : "",
    noticeMessage: o.noticeMessage,
    resolutionMessage: o.resolutionMessage,
  };
  const action = `/outages/${o.id}`;
  return (
    <form id="outage-edit" class="card" method="post" action={action} hx-post={action} hx-target="#outage-edit" hx-swap="outerHTML">
      <Field label={tText("outages:fields.title")} name="title" value={v.title} errors={props.errors} required maxlength={OUTAGE_LIMITS.title} />
      <TextArea
        label={tText("outages:fields.description")}
        name="description"
        value={v.description}
        errors={props.errors}
        maxlength={OUTAGE_LIMITS.description}
      />
      <SelectField
        label={tText("outages:fields.severity")}
        name="severity"
        options={OUTAGE_SEVERITIES.map((s) => ({ value: s, label: tText(`outages:severities.${s}`) }))}
        value={v.severity}
        errors={props.errors}
      />
      <Field
        label={tText("outages:fields.estimate", { zone: currentTimeZone() })}
        name="estimatedResolutionAt"
        type="datetime-local"
        value={v.estimatedResolutionAt}
        errors={props.errors}
      />
      <TextArea
        label={tText("outages:fields.noticeMessage")}
        name="noticeMessage"
        value={v.noticeMessage}
        rows={4}
        hint={tText("outages:fields.messageHint")}
        errors={props.errors}
        maxlength={OUTAGE_LIMITS.message}
      />
      <TextArea
        label={tText("outages:fields.resolutionMessage")}
        name="resolutionMessage"
        value={v.resolutionMessage}
        rows={3}
        errors={props.errors}
        maxlength={OUTAGE_LIMITS.message}
      />
      <button type="submit">{t("outages:actions.save")}</button>
    </form>
  );
}

export function OutageShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  outage: OutageView;
  regions: RegionView[];
  metrics: MetricsView;
  log: { rows: NotificationView[]; nextCursor: string | null };
  canManage: boolean;
}) {
  const o = props.outage;
  const live = o.status === "active" || props.metrics.resolution.pending > 0 || props.metrics.notice.pending > 0;
  return (
    <AdminLayout title={o.title} admin={props.admin} csrfToken={props.csrfToken} active="outages" flash={props.flash}>
      <link rel="stylesheet" href="/static/outages.css" />
      <p>
        <a href="/outages">{t("outages:back")}</a>
      </p>
      <h1 safe>{o.title}</h1>
      <p>
        <Badge tone={SEVERITY_TONE[o.severity]}>{t(`outages:severities.${o.severity}`)}</Badge>{" "}
        <Badge tone={STATUS_TONE[o.status]}>{t(`outages:statuses.${o.status}`)}</Badge>
      </p>
      {o.description ? <p safe>{o.description}</p> : ""}
      <dl class="card">
        <dt>{t("outages:fields.areas")}</dt>
        <dd safe>{areasText(o, props.regions)}</dd>
        <dt>{t("outages:fields.estimate", { zone: currentTimeZone() })}</dt>
        <dd>{o.estimatedResolutionAt ? <Time at={o.estimatedResolutionAt} /> : t("outages:noEstimate")}</dd>
        <dt>{t("outages:fields.declaredAt")}</dt>
        <dd>
          <Time at={o.createdAt} />
        </dd>
        {o.resolvedAt ? (
          <>
            <dt>{t("outages:fields.resolvedAt")}</dt>
            <dd>
              <Time at={o.resolvedAt} />
            </dd>
          </>
        ) : (
          ""
        )}
        <dt>{t("outages:fields.noticeMessage")}</dt>
        <dd class="outage-message" safe>
          {o.noticeMessage}
        </dd>
        <dt>{t("outages:fields.resolutionMessage")}</dt>
        <dd class="outage-message" safe>
          {o.resolutionMessage}
        </dd>
      </dl>
      {props.canManage && o.status === "active" ? (
        <div class="row wrap outage-actions">
          <form method="post" action={`/outages/${o.id}/resolve`} hx-confirm={tText("outages:actions.confirmResolve")}>
            <CsrfField token={props.csrfToken} />
            <button type="submit">{t("outages:actions.resolve")}</button>
          </form>
          <form method="post" action={`/outages/${o.id}/cancel`} hx-confirm={tText("outages:actions.confirmCancel")}>
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="secondary">
              {t("outages:actions.cancel")}
            </button>
          </form>
        </div>
      ) : (
        ""
      )}
      <OutageCounts outageId={o.id} metrics={props.metrics} live={live} />
      <NotificationLog outageId={o.id} rows={props.log.rows} nextCursor={props.log.nextCursor} />
      {props.canManage && o.status === "active" ? (
        <details class="card">
          <summary>{t("outages:actions.edit")}</summary>
          <OutageEditForm outage={o} />
        </details>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

export type RegionFormValues = { name?: string; cities?: string; states?: string; cepPrefixes?: string };

export function RegionForm(props: { region?: RegionView; values?: RegionFormValues; errors?: FieldError[] }) {
  const r = props.region;
  const v = props.values ?? (r ? { name: r.name, cities: r.cities.join("\n"), states: r.states.join(", "), cepPrefixes: r.cepPrefixes.join(", ") } : {});
  const formId = r ? `region-${r.id}` : "region-new";
  const action = r ? `/outages/regions/${r.id}` : "/outages/regions";
  return (
    <form id={formId} class="card region-form" method="post" action={action} hx-post={action} hx-target={`#${formId}`} hx-swap="outerHTML">
      <Field label={tText("outages:regions.name")} name="name" value={v.name} errors={props.errors} required maxlength={OUTAGE_LIMITS.regionName} />
      <TextArea label={tText("outages:regions.cities")} name="cities" value={v.cities} errors={props.errors} />
      <div class="row wrap">
        <Field label={tText("outages:regions.states")} name="states" value={v.states} errors={props.errors} />
        <Field label={tText("outages:regions.cepPrefixes")} name="cepPrefixes" value={v.cepPrefixes} errors={props.errors} />
      </div>
      <button type="submit">{r ? t("outages:regions.save") : t("outages:regions.add")}</button>
    </form>
  );
}

export function RegionsPage(props: { admin: AdminContext; csrfToken: string; flash?: Flash; regions: RegionView[]; canManage: boolean }) {
  return (
    <AdminLayout title={tText("outages:regions.title")} admin={props.admin} csrfToken={props.csrfToken} active="outages" flash={props.flash}>
      <link rel="stylesheet" href="/static/outages.css" />
      <h1>{t("outages:regions.title")}</h1>
      <Tabs active="regions" />
      <p class="muted">{t("outages:regions.intro")}</p>
      {props.canManage ? <RegionForm /> : ""}
      {props.regions.length === 0 ? (
        <EmptyState>{t("outages:regions.empty")}</EmptyState>
      ) : props.canManage ? (
        props.regions.map((r) => (
          <div class="region-item">
            <RegionForm region={r} />
            <form method="post" action={`/outages/regions/${r.id}/delete`} hx-confirm={tText("outages:regions.confirmDelete")}>
              <CsrfField token={props.csrfToken} />
              <button type="submit" class="secondary">
                {t("outages:regions.delete")}
              </button>
            </form>
          </div>
        ))
      ) : (
        <ul>
          {props.regions.map((r) => (
            <li safe>{`${r.name}: ${[...r.cities, ...r.states, ...r.cepPrefixes].join(", ")}`}</li>
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}
