import type { AdminContext } from "@/auth/plugin";
import { UFS } from "@/features/contacts/contact-fields";
import type { Contact } from "@/features/contacts/contact.service";
import type { FieldDefinition } from "@/features/contacts/contact-field.service";
import type { Segment } from "@/features/segments/segment.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, EmptyState, Field, SelectField } from "../components/ui";

export type SegmentFormValues = {
  name: string;
  tags: string;
  city: string;
  state: string;
  lastInteractionAfter: string;
  lastInteractionBefore: string;
  includeOptedOut: boolean;
  custom: Record<string, string>;
};

export function segmentFormValues(s?: Segment): SegmentFormValues {
  const f = s?.filter ?? {};
  return {
    name: s?.name ?? "",
    tags: (f.tags ?? []).join(", "),
    city: f.city ?? "",
    state: f.state ?? "",
    lastInteractionAfter: f.lastInteractionAfter?.slice(0, 10) ?? "",
    lastInteractionBefore: f.lastInteractionBefore?.slice(0, 10) ?? "",
    includeOptedOut: f.excludeOptedOut === false,
    custom: { ...(f.custom ?? {}) },
  };
}

/** The live count and the first matching contacts, swapped in while the form changes. */
export function SegmentPreview({ count, preview }: { count: number; preview: readonly Pick<Contact, "id" | "name" | "phone" | "city" | "state">[] }) {
  return (
    <section id="segment-preview" class="card" aria-live="polite">
      <h2>
        {t("segments:preview")} — <span data-count={String(count)}>{t("segments:count", { count })}</span>
      </h2>
      {preview.length === 0 ? (
        <EmptyState>{t("segments:noMatches")}</EmptyState>
      ) : (
        <ul class="plain-list">
          {preview.map((c) => (
            <li>
              <a href={`/contacts/${c.id}`} safe>
                {c.name || c.phone || ""}
              </a>{" "}
              <span class="muted small" safe>
                {[c.phone, c.city, c.state].filter(Boolean).join(" · ")}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function SegmentForm(props: {
  action: string;
  csrfToken: string;
  values: SegmentFormValues;
  errors?: FieldError[];
  definitions: readonly Pick<FieldDefinition, "key" | "label">[];
}) {
  const v = props.values;
  return (
    <form
      id="segment-form"
      class="card"
      method="post"
      action={props.action}
      hx-post="/segments/preview"
      hx-trigger="input changed delay:400ms from:#segment-form, change from:#segment-form"
      hx-target="#segment-preview"
      hx-swap="outerHTML"
    >
      <CsrfField token={props.csrfToken} />
      <Field label={tText("segments:name")} name="name" value={v.name} errors={props.errors} maxlength={80} required />
      <Field label={tText("segments:tags")} name="tags" value={v.tags} errors={props.errors} maxlength={800} />
      <div class="grid-2">
        <Field label={tText("segments:city")} name="city" value={v.city} errors={props.errors} maxlength={120} />
        <SelectField
          label={tText("segments:state")}
          name="state"
          value={v.state}
          errors={props.errors}
          options={[{ value: "", label: tText("segments:anyState") }, ...UFS]}
        />
        <Field label={tText("segments:lastAfter")} name="lastInteractionAfter" type="date" value={v.lastInteractionAfter} errors={props.errors} />
        <Field label={tText("segments:lastBefore")} name="lastInteractionBefore" type="date" value={v.lastInteractionBefore} errors={props.errors} />
      </div>
      {props.definitions.length ? (
        <fieldset>
          <legend>{t("segments:custom")}</legend>
          <div class="grid-2">
            {props.definitions.map((d) => (
              <Field
                label={d.label}
                name={`custom.${d.key}`}
                value={v.custom[d.key] ?? ""}
                errors={props.errors}
                maxlength={200}
                placeholder={tText("segments:any")}
              />
            ))}
          </div>
        </fieldset>
      ) : (
        ""
      )}
      <label class="check">
        <input type="checkbox" name="includeOptedOut" value="on" checked={v.includeOptedOut} /> {t("segments:includeOptedOut")}
      </label>
      <div class="row">
        <button type="submit" hx-post={props.action} hx-target="body" hx-swap="outerHTML">
          {t("segments:save")}
        </button>
      </div>
    </form>
  );
}

export function SegmentsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  segments: readonly { segment: Segment; count: number }[];
  /** The segment being edited, or undefined for a new one. */
  editing?: Segment;
  form: { values: SegmentFormValues; errors?: FieldError[] };
  definitions: readonly Pick<FieldDefinition, "key" | "label">[];
  preview: { count: number; preview: readonly Pick<Contact, "id" | "name" | "phone" | "city" | "state">[] };
  canManage: boolean;
}) {
  return (
    <AdminLayout title={tText("segments:title")} admin={props.admin} csrfToken={props.csrfToken} active="contacts" flash={props.flash}>
      {props.editing ? (
        <p>
          <a href="/segments">{t("segments:back")}</a>
        </p>
      ) : (
        ""
      )}
      <h1>{t("segments:title")}</h1>
      <p class="muted">{t("segments:intro")}</p>
      {props.segments.length === 0 ? (
        <EmptyState>{t("segments:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t("segments:columns.name")}</th>
                <th>{t("segments:columns.contacts")}</th>
                <th>{t("segments:columns.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {props.segments.map(({ segment, count }) => (
                <tr>
                  <td>
                    <a href={`/segments/${segment.id}`} safe>
                      {segment.name}
                    </a>
                  </td>
                  <td safe>{String(count)}</td>
                  <td class="row">
                    <a href={`/contacts/export.csv?segmentId=${segment.id}`}>{t("segments:export")}</a>
                    {props.canManage ? (
                      <form method="post" action={`/segments/${segment.id}/delete`} class="inline" hx-confirm={tText("segments:deleteConfirm")}>
                        <CsrfField token={props.csrfToken} />
                        <button type="submit" class="danger">
                          {t("segments:delete")}
                        </button>
                      </form>
                    ) : (
                      ""
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canManage ? (
        <>
          <h2>{props.editing ? t("segments:edit") : t("segments:new")}</h2>
          <p class="muted small">{t("segments:previewHint")}</p>
          <SegmentForm
            action={props.editing ? `/segments/${props.editing.id}` : "/segments"}
            csrfToken={props.csrfToken}
            values={props.form.values}
            errors={props.form.errors}
            definitions={props.definitions}
          />
          <SegmentPreview count={props.preview.count} preview={props.preview.preview} />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
