import type { AdminContext } from "@/auth/plugin";
import { CRM_DATE_RANGES, CRM_DEDUPE } from "@/db/schema";
import { CRM_LIMITS } from "@/features/collections/crm-sync.schema";
import type { crmSyncJson, runJson } from "@/features/collections/crm-sync.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Field, SelectField, Time } from "../components/ui";
import { CollectionsTabs } from "./_tabs";

export type CrmSyncView = ReturnType<typeof crmSyncJson>;
export type RunView = ReturnType<typeof runJson>;
/** The form's raw values (names as the API's paths: `mapping.phone` …, so errors land on their field). */
export type CrmSyncFormValues = Record<string, string | undefined>;
export type CampaignOption = { id: string; name: string };

const counts = (c: { fetched: number; created: number; updated: number; skipped: number }) => ({
  fetched: c.fetched,
  created: c.created,
  updated: c.updated,
  skipped: c.skipped,
});

const STATUS_TONE = { success: "ok", partial: "warn", failed: "bad", running: "muted" } as const;

/** A config's values as the form shows them (never the URL or the key: those are typed again to change). */
export function formValuesOf(c: CrmSyncView): CrmSyncFormValues {
  return {
    name: c.name,
    enabled: String(c.enabled),
    authHeader: c.authHeader,
    "mapping.phone": c.mapping.phone,
    "mapping.name": c.mapping.name ?? "",
    "mapping.document": c.mapping.document ?? "",
    "mapping.amount": c.mapping.amount,
    "mapping.amountUnit": c.mapping.amountUnit,
    "mapping.dueDate": c.mapping.dueDate,
    "mapping.metadata": c.mapping.metadata.join(", "),
    dateRangeType: c.dateRangeType,
    dateRangeDays: c.dateRangeDays?.toString() ?? "",
    dateRangeFrom: c.dateRangeFrom ?? "",
    dateRangeTo: c.dateRangeTo ?? "",
    minAmountCents: c.minAmountCents?.toString() ?? "",
    maxAmountCents: c.maxAmountCents?.toString() ?? "",
    dedupeBy: c.dedupeBy,
    updateExisting: String(c.updateExisting),
    intervalMinutes: String(c.intervalMinutes),
    campaignId: c.campaignId,
  };
}

function Check(props: { name: string; checked: boolean; label: string }) {
  return (
    <label class="check">
      <input type="hidden" name={props.name} value="false" />
      <input type="checkbox" name={props.name} value="true" checked={props.checked} /> <span safe>{props.label}</span>
    </label>
  );
}

/** Create (no `config`) or edit a CRM sync. */
export function CrmSyncForm(props: { values: CrmSyncFormValues; errors?: FieldError[]; campaigns: CampaignOption[]; config?: CrmSyncView }) {
  const v = props.values;
  const action = props.config ? `/collections/crm-syncs/${props.config.id}` : "/collections/crm-syncs";
  const f = (name: string, type = "text", extra: { required?: boolean; hint?: string; maxlength?: number; placeholder?: string } = {}) => (
    <Field label={tText(`collections:crm.fields.${name}`)} name={name} type={type} value={v[name]} errors={props.errors} {...extra} />
  );
  return (
    <form id="crm-sync-form" class="card" method="post" action={action} hx-post={action} hx-target="#crm-sync-form" hx-swap="outerHTML">
      {f("name", "text", { required: true, maxlength: CRM_LIMITS.name })}
      <Field
        label={tText("collections:crm.fields.url")}
        name="url"
        type="url"
        value={v.url}
        errors={props.errors}
        required={!props.config}
        maxlength={CRM_LIMITS.url}
        placeholder={props.config?.url}
        hint={tText(props.config ? "collections:crm.hints.urlKeep" : "collections:crm.hints.url")}
      />
      <div class="row wrap">
        <Field
          label={tText("collections:crm.fields.apiKey")}
          name="apiKey"
          type="password"
          value=""
          errors={props.errors}
          maxlength={CRM_LIMITS.apiKey}
          autocomplete="off"
          placeholder={props.config?.apiKey ?? undefined}
          hint={tText(props.config ? "collections:crm.hints.apiKeyKeep" : "collections:crm.hints.apiKey")}
        />
        {f("authHeader", "text", { hint: tText("collections:crm.hints.authHeader") })}
      </div>
      {props.config?.apiKey ? <Check name="removeApiKey" checked={false} label={tText("collections:crm.fields.removeApiKey")} /> : ""}
      <fieldset>
        <legend>{t("collections:crm.mapping")}</legend>
        <p class="muted">{t("collections:crm.hints.mapping")}</p>
        <div class="row wrap">
          {f("mapping.phone", "text", { required: true })}
          {f("mapping.name")}
          {f("mapping.document")}
          {f("mapping.amount", "text", { required: true })}
          <SelectField
            label={tText("collections:crm.fields.mapping.amountUnit")}
            name="mapping.amountUnit"
            options={["cents", "reais"].map((u) => ({ value: u, label: tText(`collections:crm.units.${u}`) }))}
            value={v["mapping.amountUnit"] ?? "cents"}
            errors={props.errors}
          />
          {f("mapping.dueDate", "text", { required: true })}
        </div>
        {f("mapping.metadata", "text", { hint: tText("collections:crm.hints.metadata") })}
      </fieldset>
      <fieldset>
        <legend>{t("collections:crm.filters")}</legend>
        <div class="row wrap">
          <SelectField
            label={tText("collections:crm.fields.dateRangeType")}
            name="dateRangeType"
            options={CRM_DATE_RANGES.map((r) => ({ value: r, label: tText(`collections:crm.ranges.${r}`) }))}
            value={v.dateRangeType ?? "none"}
            errors={props.errors}
          />
          {f("dateRangeDays", "number")}
          {f("dateRangeFrom", "date")}
          {f("dateRangeTo", "date")}
        </div>
        <div class="row wrap">
          {f("minAmountCents", "number")}
          {f("maxAmountCents", "number")}
        </div>
      </fieldset>
      <div class="row wrap">
        <SelectField
          label={tText("collections:crm.fields.campaignId")}
          name="campaignId"
          options={[{ value: "", label: "—" }, ...props.campaigns.map((c) => ({ value: c.id, label: c.name }))]}
          value={v.campaignId ?? ""}
          errors={props.errors}
        />
        <SelectField
          label={tText("collections:crm.fields.dedupeBy")}
          name="dedupeBy"
          options={CRM_DEDUPE.map((d) => ({ value: d, label: tText(`collections:crm.dedupe.${d}`) }))}
          value={v.dedupeBy ?? "phone"}
          errors={props.errors}
        />
        {f("intervalMinutes", "number", { required: true })}
      </div>
      <Check name="updateExisting" checked={v.updateExisting !== "false"} label={tText("collections:crm.fields.updateExisting")} />
      <Check name="enabled" checked={v.enabled !== "false"} label={tText("collections:crm.fields.enabled")} />
      <button type="submit">{t(props.config ? "collections:crm.save" : "collections:crm.create")}</button>
    </form>
  );
}

function LastSync({ c }: { c: CrmSyncView }) {
  if (!c.lastSync.status) return <span class="muted">{t("collections:crm.never")}</span>;
  return (
    <span>
      <Badge tone={STATUS_TONE[c.lastSync.status]}>{t(`collections:crm.statuses.${c.lastSync.status}`)}</Badge> <Time at={c.lastSync.at} />{" "}
      <span class="muted" safe>
        {tText("collections:crm.counts", counts(c.lastSync))}
      </span>
    </span>
  );
}

export function CrmSyncsIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  syncs: CrmSyncView[];
  campaigns: CampaignOption[];
  form: { values: CrmSyncFormValues; errors?: FieldError[] };
}) {
  const campaignName = new Map(props.campaigns.map((c) => [c.id, c.name]));
  return (
    <AdminLayout title={tText("collections:crm.title")} admin={props.admin} csrfToken={props.csrfToken} active="collections" flash={props.flash}>
      <CollectionsTabs active="crm" />
      <h1>{t("collections:crm.title")}</h1>
      <p class="muted">{t("collections:crm.intro")}</p>
      {props.syncs.length === 0 ? (
        <EmptyState>{t("collections:crm.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("collections:crm.fields.name")}</th>
                <th>{t("collections:crm.fields.campaignId")}</th>
                <th>{t("collections:crm.lastSync")}</th>
                <th>{t("collections:crm.nextRun")}</th>
              </tr>
            </thead>
            <tbody>
              {props.syncs.map((c) => (
                <tr id={`crm-sync-${c.id}`}>
                  <td data-label={tText("collections:crm.fields.name")}>
                    <a href={`/collections/crm-syncs/${c.id}`} safe>
                      {c.name}
                    </a>
                    {c.enabled ? "" : <Badge tone="muted">{t("collections:crm.disabled")}</Badge>}
                    <br />
                    <small class="muted" safe>
                      {c.url}
                    </small>
                  </td>
                  <td data-label={tText("collections:crm.fields.campaignId")} safe>
                    {campaignName.get(c.campaignId) ?? "—"}
                  </td>
                  <td data-label={tText("collections:crm.lastSync")}>
                    <LastSync c={c} />
                  </td>
                  <td data-label={tText("collections:crm.nextRun")}>
                    <Time at={c.nextRunAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("collections:crm.new")}</h2>
      <CrmSyncForm values={props.form.values} errors={props.form.errors} campaigns={props.campaigns} />
    </AdminLayout>
  );
}

export function CrmSyncShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  config: CrmSyncView;
  runs: RunView[];
  campaigns: CampaignOption[];
  form: { values: CrmSyncFormValues; errors?: FieldError[] };
}) {
  const c = props.config;
  return (
    <AdminLayout title={c.name} admin={props.admin} csrfToken={props.csrfToken} active="collections" flash={props.flash}>
      <CollectionsTabs active="crm" />
      <div class="row">
        <h1 safe>{c.name}</h1>
        <form method="post" action={`/collections/crm-syncs/${c.id}/run`} hx-post={`/collections/crm-syncs/${c.id}/run`} hx-target="body">
          <button type="submit" disabled={c.running}>
            {t(c.running ? "collections:crm.running" : "collections:crm.runNow")}
          </button>
        </form>
      </div>
      <p>
        <LastSync c={c} />
      </p>
      {c.lastSync.error ? (
        <p class="error" safe>
          {c.lastSync.error}
        </p>
      ) : (
        ""
      )}
      <h2>{t("collections:crm.runs")}</h2>
      {props.runs.length === 0 ? (
        <EmptyState>{t("collections:crm.noRuns")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="crm-runs">
            <thead>
              <tr>
                <th>{t("collections:crm.run.startedAt")}</th>
                <th>{t("collections:crm.run.trigger")}</th>
                <th>{t("collections:crm.run.status")}</th>
                <th>{t("collections:crm.run.counts")}</th>
                <th>{t("collections:crm.run.skipped")}</th>
              </tr>
            </thead>
            <tbody>
              {props.runs.map((r) => (
                <tr>
                  <td data-label={tText("collections:crm.run.startedAt")}>
                    <Time at={r.startedAt} />
                  </td>
                  <td data-label={tText("collections:crm.run.trigger")}>{t(`collections:crm.triggers.${r.trigger}`)}</td>
                  <td data-label={tText("collections:crm.run.status")}>
                    <Badge tone={STATUS_TONE[r.status]}>{t(`collections:crm.statuses.${r.status}`)}</Badge>
                    {r.error ? (
                      <small class="error" safe>
                        {r.error}
                      </small>
                    ) : (
                      ""
                    )}
                  </td>
                  <td data-label={tText("collections:crm.run.counts")} safe>
                    {tText("collections:crm.counts", counts(r))}
                  </td>
                  <td data-label={tText("collections:crm.run.skipped")} safe>
                    {Object.entries(r.skipReasons)
                      .map(([reason, n]) => `${tText(`collections:crm.skip.${reason}`)}: ${n}`)
                      .join("; ") || "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("collections:crm.edit")}</h2>
      <CrmSyncForm values={props.form.values} errors={props.form.errors} campaigns={props.campaigns} config={c} />
      <form method="post" action={`/collections/crm-syncs/${c.id}/delete`} hx-post={`/collections/crm-syncs/${c.id}/delete`} hx-target="body" class="row">
        <button type="submit" class="danger">
          {t("collections:crm.delete")}
        </button>
      </form>
    </AdminLayout>
  );
}
