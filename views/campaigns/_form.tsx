import type { AdminContext } from "@/auth/plugin";
import type { Campaign } from "@/db/schema/campaigns";
import { CAMPAIGN_LIMITS } from "@/features/campaigns/campaign.schema";
import type { FieldError } from "@/lib/errors";
import { fieldError } from "@/lib/forms";
import { localDateTimeInZone, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, Field, SelectField } from "../components/ui";

/** The form as typed: every field named by its path in the schema the API uses (so a 422's details land on their inputs). */
export type CampaignFormValues = {
  name: string;
  source: "csv" | "tag" | "segment";
  tag: string;
  segmentId: string;
  body: string;
  variants: string;
  mediaUrl: string;
  rotation: "sequential" | "random";
  instanceIds: string[];
  startsAt: string;
  endsAt: string;
  weekdays: string[];
  activeStart: string;
  activeEnd: string;
  perMinute: string;
  jitterPercent: string;
  dailyCap: string;
  warmupDays: string;
  warmupStartPerDay: string;
  maxAttempts: string;
  attemptSpacingMinutes: string;
  stopOnReply: boolean;
  /** Edit only: keep the targets already chosen instead of a new audience. */
  keepAudience: boolean;
};

/** A new campaign's defaults (a careful pace), or a draft's values in the organization's zone. */
export function campaignFormValues(c: Campaign | undefined, timeZone: string): CampaignFormValues {
  return {
    name: c?.name ?? "",
    source: c?.audienceSource === "tag" || c?.audienceSource === "segment" ? c.audienceSource : "csv",
    tag: c?.audienceTag ?? "",
    segmentId: c?.segmentId ?? "",
    body: c?.message.body ?? "",
    variants: c?.message.variants.join("\n") ?? "",
    mediaUrl: c?.message.mediaUrl ?? "",
    rotation: c?.message.rotation ?? "sequential",
    instanceIds: c?.instanceIds ?? [],
    startsAt: c?.startsAt ? localDateTimeInZone(c.startsAt, timeZone) : "",
    endsAt: c?.endsAt ? localDateTimeInZone(c.endsAt, timeZone) : "",
    weekdays: (c?.activeHours.weekdays ?? [1, 2, 3, 4, 5]).map(String),
    activeStart: c?.activeHours.start ?? "09:00",
    activeEnd: c?.activeHours.end ?? "18:00",
    perMinute: String(c?.pacing.perMinute ?? 6),
    jitterPercent: String(c?.pacing.jitterPercent ?? 30),
    dailyCap: String(c?.pacing.dailyCap ?? 500),
    warmupDays: String(c?.pacing.warmupDays ?? 14),
    warmupStartPerDay: String(c?.pacing.warmupStartPerDay ?? 20),
    maxAttempts: String(c?.maxAttempts ?? 1),
    attemptSpacingMinutes: String(c?.attemptSpacingMinutes ?? 60),
    stopOnReply: c?.stopOnReply ?? true,
    keepAudience: !!c,
  };
}

export type InstanceOption = { id: string; name: string; status: string; ageDays: number };

function ErrorText({ errors, path }: { errors?: FieldError[]; path: string }) {
  const error = fieldError(errors, path);
  return error ? (
    <small class="error" id={`f-${path}-error`} safe>
      {error}
    </small>
  ) : (
    ""
  );
}

function TextArea(props: { label: string; name: string; value: string; errors?: FieldError[]; maxlength?: number; rows?: number; required?: boolean }) {
  const error = fieldError(props.errors, props.name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${props.name}`} safe>
        {props.label}
      </label>
      <textarea
        id={`f-${props.name}`}
        name={props.name}
        rows={String(props.rows ?? 3)}
        maxlength={props.maxlength}
        required={props.required}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `f-${props.name}-error` : undefined}
        safe
      >
        {props.value}
      </textarea>
      <ErrorText errors={props.errors} path={props.name} />
    </div>
  );
}

export function CampaignForm(props: {
  action: string;
  csrfToken: string;
  values: CampaignFormValues;
  errors?: FieldError[];
  instances: readonly InstanceOption[];
  segments: readonly { id: string; name: string }[];
  timeZone: string;
  /** Editing a draft: how many targets it has (the "keep the audience" choice). */
  editingTargets?: number;
}) {
  const v = props.values;
  const e = props.errors;
  const editing = props.editingTargets !== undefined;
  return (
    <form id="campaign-form" class="card campaign-form" method="post" action={props.action} enctype="multipart/form-data">
      <CsrfField token={props.csrfToken} />
      {e?.length ? (
        <ul class="form-errors" role="alert">
          {e.map((err) => (
            <li safe>{err.message}</li>
          ))}
        </ul>
      ) : (
        ""
      )}
      <Field label={tText("campaigns:form.name")} name="name" value={v.name} errors={e} maxlength={CAMPAIGN_LIMITS.name} required />

      <fieldset>
        <legend>{t("campaigns:page.sectionAudience")}</legend>
        {editing ? (
          <label class="check">
            <input type="checkbox" name="keepAudience" value="on" checked={v.keepAudience} />{" "}
            {t("campaigns:page.keepAudience", { count: props.editingTargets ?? 0 })}
          </label>
        ) : (
          ""
        )}
        <div class="row wrap">
          {(["csv", "tag", "segment"] as const).map((source) => (
            <label class="check">
              <input type="radio" name="audience.source" value={source} checked={v.source === source} />{" "}
              {t(`campaigns:form.source${source === "csv" ? "Csv" : source === "tag" ? "Tag" : "Segment"}`)}
            </label>
          ))}
        </div>
        <ErrorText errors={e} path="audience.source" />
        <ErrorText errors={e} path="audience" />
        <div class={fieldError(e, "audience.csv") ? "field has-error" : "field"}>
          <label for="f-audience.csv">{t("campaigns:form.audienceCsv")}</label>
          <input id="f-audience.csv" type="file" name="audience.csv" accept=".csv,text/csv" />
          {e?.length ? <small class="hint">{t("campaigns:page.csvAgain")}</small> : ""}
          <ErrorText errors={e} path="audience.csv" />
        </div>
        <div class="grid-2">
          <Field label={tText("campaigns:form.audienceTag")} name="audience.tag" value={v.tag} errors={e} maxlength={80} />
          <SelectField
            label={tText("campaigns:form.audienceSegment")}
            name="audience.segmentId"
            value={v.segmentId}
            errors={e}
            options={[
              { value: "", label: tText(props.segments.length ? "campaigns:page.pickSegment" : "campaigns:page.noSegments") },
              ...props.segments.map((s) => ({ value: s.id, label: s.name })),
            ]}
          />
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("campaigns:page.sectionMessage")}</legend>
        <TextArea label={tText("campaigns:form.body")} name="message.body" value={v.body} errors={e} maxlength={CAMPAIGN_LIMITS.body} rows={4} required />
        <TextArea label={tText("campaigns:form.variants")} name="message.variants" value={v.variants} errors={e} rows={4} />
        <div class="grid-2">
          <SelectField
            label={tText("campaigns:form.rotation")}
            name="message.rotation"
            value={v.rotation}
            errors={e}
            options={[
              { value: "sequential", label: tText("campaigns:form.rotationSequential") },
              { value: "random", label: tText("campaigns:form.rotationRandom") },
            ]}
          />
          <Field label={tText("campaigns:form.mediaUrl")} name="message.mediaUrl" type="url" value={v.mediaUrl} errors={e} maxlength={2000} />
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("campaigns:page.sectionSchedule")}</legend>
        <p class="muted small">{t("campaigns:page.zoneHint", { zone: props.timeZone })}</p>
        <div class="grid-2">
          <Field label={tText("campaigns:form.startsAt")} name="startsAt" type="datetime-local" value={v.startsAt} errors={e} />
          <Field label={tText("campaigns:form.endsAt")} name="endsAt" type="datetime-local" value={v.endsAt} errors={e} />
        </div>
        <div class={fieldError(e, "activeHours.weekdays") ? "field has-error" : "field"}>
          <span class="label">{t("campaigns:form.weekdays")}</span>
          <div class="row wrap">
            {[0, 1, 2, 3, 4, 5, 6].map((d) => (
              <label class="check">
                <input type="checkbox" name="activeHours.weekdays" value={String(d)} checked={v.weekdays.includes(String(d))} /> {t(`campaigns:weekday.${d}`)}
              </label>
            ))}
          </div>
          <ErrorText errors={e} path="activeHours.weekdays" />
        </div>
        <div class="grid-2">
          <Field label={tText("campaigns:form.activeStart")} name="activeHours.start" type="time" value={v.activeStart} errors={e} required />
          <Field label={tText("campaigns:form.activeEnd")} name="activeHours.end" type="time" value={v.activeEnd} errors={e} required />
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("campaigns:page.sectionNumbers")}</legend>
        <div class={fieldError(e, "instanceIds") ? "field has-error" : "field"}>
          <span class="label">{t("campaigns:form.instances")}</span>
          {props.instances.length === 0 ? (
            <p class="muted">{t("campaigns:page.noInstances")}</p>
          ) : (
            <div class="row wrap">
              {props.instances.map((i) => (
                <label class="check">
                  <input type="checkbox" name="instanceIds" value={i.id} checked={v.instanceIds.includes(i.id)} />{" "}
                  <span safe>{tText("campaigns:page.instanceStatus", { name: i.name, status: i.status, days: i.ageDays })}</span>
                </label>
              ))}
            </div>
          )}
          <ErrorText errors={e} path="instanceIds" />
        </div>
        <div class="grid-2">
          <Field label={tText("campaigns:form.perMinute")} name="pacing.perMinute" type="number" value={v.perMinute} errors={e} required />
          <Field label={tText("campaigns:form.jitterPercent")} name="pacing.jitterPercent" type="number" value={v.jitterPercent} errors={e} />
          <Field label={tText("campaigns:form.dailyCap")} name="pacing.dailyCap" type="number" value={v.dailyCap} errors={e} required />
          <Field label={tText("campaigns:form.warmupDays")} name="pacing.warmupDays" type="number" value={v.warmupDays} errors={e} />
          <Field label={tText("campaigns:form.warmupStartPerDay")} name="pacing.warmupStartPerDay" type="number" value={v.warmupStartPerDay} errors={e} />
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("campaigns:page.sectionAttempts")}</legend>
        <div class="grid-2">
          <Field label={tText("campaigns:form.maxAttempts")} name="maxAttempts" type="number" value={v.maxAttempts} errors={e} />
          <Field label={tText("campaigns:form.attemptSpacingMinutes")} name="attemptSpacingMinutes" type="number" value={v.attemptSpacingMinutes} errors={e} />
        </div>
        <label class="check">
          <input type="checkbox" name="stopOnReply" value="on" checked={v.stopOnReply} /> {t("campaigns:form.stopOnReply")}
        </label>
      </fieldset>
      <div class="row">
        <button type="submit">{editing ? t("campaigns:page.save") : t("campaigns:form.submit")}</button>
      </div>
    </form>
  );
}

export function CampaignFormPage(props: {
  admin: AdminContext;
  csrfToken: string;
  editing?: Campaign;
  editingTargets?: number;
  values: CampaignFormValues;
  errors?: FieldError[];
  instances: readonly InstanceOption[];
  segments: readonly { id: string; name: string }[];
}) {
  const title = tText(props.editing ? "campaigns:page.editTitle" : "campaigns:page.newTitle");
  return (
    <AdminLayout title={title} admin={props.admin} csrfToken={props.csrfToken} active="campaigns">
      <link rel="stylesheet" href="/static/campaigns.css" />
      <p>
        <a href={props.editing ? `/campaigns/${props.editing.id}` : "/campaigns"}>{t("campaigns:back")}</a>
      </p>
      <h1 safe>{title}</h1>
      <CampaignForm
        action={props.editing ? `/campaigns/${props.editing.id}` : "/campaigns"}
        csrfToken={props.csrfToken}
        values={props.values}
        errors={props.errors}
        instances={props.instances}
        segments={props.segments}
        timeZone={props.admin.organization.timeZone}
        editingTargets={props.editing ? props.editingTargets : undefined}
      />
    </AdminLayout>
  );
}
