import type { AdminContext } from "@/auth/plugin";
import type { ContactImport } from "@/features/contacts/contact-import.service";
import type { FieldDefinition } from "@/features/contacts/contact-field.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, SelectField, Time, fieldError } from "../components/ui";

type Defs = readonly Pick<FieldDefinition, "id" | "key" | "label" | "type">[];

/** Custom contact fields: the list and the form to add one. */
export function FieldsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  definitions: Defs;
  values?: Record<string, string>;
  errors?: FieldError[];
}) {
  const v = props.values ?? {};
  return (
    <AdminLayout title={tText("contacts:book.customFields.title")} admin={props.admin} csrfToken={props.csrfToken} active="contacts" flash={props.flash}>
      <p>
        <a href="/contacts">{t("contacts:show.back")}</a>
      </p>
      <h1>{t("contacts:book.customFields.title")}</h1>
      <p class="muted">{t("contacts:book.customFields.hint")}</p>
      {props.definitions.length === 0 ? (
        <EmptyState>{t("contacts:book.customFields.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t("contacts:book.customFields.key")}</th>
                <th>{t("contacts:book.customFields.label")}</th>
                <th>{t("contacts:book.customFields.type")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {props.definitions.map((d) => (
                <tr>
                  <td>
                    <code safe>{d.key}</code>
                  </td>
                  <td safe>{d.label}</td>
                  <td>{t(`contacts:book.customFields.types.${d.type}`)}</td>
                  <td>
                    <form
                      method="post"
                      action={`/contacts/fields/${d.id}/delete`}
                      class="inline"
                      hx-confirm={tText("contacts:book.customFields.deleteConfirm")}
                    >
                      <CsrfField token={props.csrfToken} />
                      <button type="submit" class="danger">
                        {t("contacts:book.customFields.delete")}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action="/contacts/fields" class="card">
        <CsrfField token={props.csrfToken} />
        <Field label={tText("contacts:book.customFields.key")} name="key" value={v.key} errors={props.errors} maxlength={40} required />
        <Field label={tText("contacts:book.customFields.label")} name="label" value={v.label} errors={props.errors} maxlength={80} required />
        <SelectField
          label={tText("contacts:book.customFields.type")}
          name="type"
          value={v.type ?? "text"}
          errors={props.errors}
          options={(["text", "number", "date", "boolean"] as const).map((type) => ({ value: type, label: tText(`contacts:book.customFields.types.${type}`) }))}
        />
        <button type="submit">{t("contacts:book.customFields.add")}</button>
      </form>
    </AdminLayout>
  );
}

/** Progress of a running or finished import; the SSE stream replaces it after every batch. */
export function ImportProgress({ imp }: { imp: Pick<ContactImport, "id" | "status" | "rowsRead" | "created" | "updated" | "rejected" | "error"> }) {
  const tone = imp.status === "done" ? "ok" : imp.status === "failed" ? "bad" : "warn";
  return (
    <div id="import-progress" class="card" data-status={imp.status}>
      <Badge tone={tone}>{t(`contacts:book.import.status.${imp.status}`)}</Badge>
      <p>{t("contacts:book.import.progress", { read: imp.rowsRead, created: imp.created, updated: imp.updated, rejected: imp.rejected })}</p>
      {imp.error ? (
        <p class="error" safe>
          {imp.error}
        </p>
      ) : (
        ""
      )}
      {imp.rejected > 0 ? (
        <p>
          <a href={`/contacts/import/${imp.id}/rejects.csv`}>{t("contacts:book.import.rejects")}</a>
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

const MAPPABLE = ["phone", "name", "document", "email", "address", "city", "state", "zipCode", "notes", "tags"] as const;

/** Upload, the mapping of an uploaded file, or the progress of a started one; recent imports and the export below. */
export function ImportPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  imports: readonly ContactImport[];
  current?: ContactImport;
  definitions: Defs;
  segments: readonly { id: string; name: string }[];
  errors?: FieldError[];
}) {
  const imp = props.current;
  const mappingError = fieldError(props.errors, "mapping") ?? props.errors?.find((e) => e.path.startsWith("mapping."))?.message;
  const fieldLabel = (f: string) =>
    f === "tags" ? tText("contacts:book.import.tags") : f === "phone" || f === "name" ? tText(`contacts:fields.${f}`) : tText(`contacts:book.fields.${f}`);
  const options = [
    { value: "", label: tText("contacts:book.import.ignore") },
    ...MAPPABLE.map((f) => ({ value: f, label: fieldLabel(f) })),
    ...props.definitions.map((d) => ({ value: `custom:${d.key}`, label: d.label })),
  ];
  return (
    <AdminLayout title={tText("contacts:book.import.title")} admin={props.admin} csrfToken={props.csrfToken} active="contacts" flash={props.flash}>
      <p>
        <a href="/contacts">{t("contacts:show.back")}</a>
      </p>
      <h1>{t("contacts:book.import.title")}</h1>
      {!imp ? (
        <form method="post" action="/contacts/import" enctype="multipart/form-data" class="card">
          <CsrfField token={props.csrfToken} />
          <p class="muted">{t("contacts:book.import.hint")}</p>
          <div class={fieldError(props.errors, "file") ? "field has-error" : "field"}>
            <label for="f-file">{t("contacts:book.import.file")}</label>
            <input id="f-file" type="file" name="file" accept=".csv,text/csv" required />
            {fieldError(props.errors, "file") ? (
              <small class="error" safe>
                {fieldError(props.errors, "file")}
              </small>
            ) : (
              ""
            )}
          </div>
          <button type="submit">{t("contacts:book.import.upload")}</button>
        </form>
      ) : imp.status === "uploaded" ? (
        <form method="post" action={`/contacts/import/${imp.id}/start`} class="card" id="import-mapping">
          <CsrfField token={props.csrfToken} />
          <h2 safe>{imp.filename}</h2>
          <h3>{t("contacts:book.import.mappingTitle")}</h3>
          {mappingError ? (
            <p class="error" safe>
              {mappingError}
            </p>
          ) : (
            ""
          )}
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>{t("contacts:book.import.column")}</th>
                  <th>{t("contacts:book.import.mapTo")}</th>
                  <th>{t("contacts:book.import.previewTitle")}</th>
                </tr>
              </thead>
              <tbody>
                {imp.headers.map((header, index) => (
                  <tr>
                    <td safe>{header}</td>
                    <td>
                      <select name={`mapping.${index}`} aria-label={header}>
                        {options.map((o) => (
                          <option value={o.value} selected={(imp.mapping[String(index)] ?? "") === o.value} safe>
                            {o.label}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td class="muted small" safe>
                      {imp.preview.map((row) => row[index] ?? "").join(" · ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="submit">{t("contacts:book.import.start")}</button>
        </form>
      ) : (
        <div data-import-stream={`/contacts/import/${imp.id}/stream`}>
          <h2 safe>{imp.filename}</h2>
          <ImportProgress imp={imp} />
          <script src="/static/contact-import.js" defer />
        </div>
      )}
      <h2>{t("contacts:book.export.title")}</h2>
      <form method="get" action="/contacts/export.csv" class="card row">
        <SelectField
          label={tText("contacts:book.export.segment")}
          name="segmentId"
          options={[{ value: "", label: tText("contacts:book.export.all") }, ...props.segments.map((s) => ({ value: s.id, label: s.name }))]}
        />
        <button type="submit">{t("contacts:book.export.download")}</button>
      </form>
      <h2>{t("contacts:book.import.history")}</h2>
      {props.imports.length === 0 ? (
        <EmptyState>{t("contacts:book.import.none")}</EmptyState>
      ) : (
        <ul class="plain-list">
          {props.imports.map((i) => (
            <li>
              <a href={`/contacts/import/${i.id}`} safe>
                {i.filename}
              </a>{" "}
              <Badge tone="muted">{t(`contacts:book.import.status.${i.status}`)}</Badge> <Time at={i.createdAt} />
            </li>
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}
