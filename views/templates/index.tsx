import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { toPublicTemplate } from "@/features/templates/template.service";
import { TEMPLATE_LIMITS } from "@/features/templates/template.schema";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Field, fieldError } from "../components/ui";

type PublicTemplate = ReturnType<typeof toPublicTemplate>;
export type TemplateFormValues = { key?: string; body?: string; variants?: string; variables?: string; locale?: string; category?: string; active?: string };

export function TemplateForm(props: { action: string; values: TemplateFormValues; errors?: FieldError[]; submitLabel: string; id?: string }) {
  const v = props.values;
  const formId = props.id ?? "template-form";
  return (
    <form id={formId} class="card" method="post" action={props.action} hx-post={props.action} hx-target={`#${formId}`} hx-swap="outerHTML">
      <Field label="Key" name="key" value={v.key} errors={props.errors} required maxlength={TEMPLATE_LIMITS.key} placeholder="welcome" />
      <div class={fieldError(props.errors, "body") ? "field has-error" : "field"}>
        <label for={`${formId}-body`}>Body — use {"{{name}}"} for variables</label>
        <textarea id={`${formId}-body`} name="body" rows="3" maxlength={TEMPLATE_LIMITS.body} required safe>
          {v.body ?? ""}
        </textarea>
        {fieldError(props.errors, "body") ? <small class="error" safe>{fieldError(props.errors, "body")}</small> : ""}
      </div>
      <div class={props.errors?.some((e) => e.path.startsWith("variants")) ? "field has-error" : "field"}>
        <label for={`${formId}-variants`}>Variants (one per line; one of body + variants is picked at random)</label>
        <textarea id={`${formId}-variants`} name="variants" rows="3" safe>
          {v.variants ?? ""}
        </textarea>
        {props.errors?.filter((e) => e.path.startsWith("variants")).map((e) => <small class="error" safe>{`${e.path}: ${e.message}`}</small>)}
      </div>
      <Field label="Declared variables (comma separated)" name="variables" value={v.variables} errors={props.errors} />
      <div class="row">
        <Field label="Locale" name="locale" value={v.locale} errors={props.errors} maxlength={TEMPLATE_LIMITS.locale} placeholder="pt-BR" />
        <Field label="Category" name="category" value={v.category} errors={props.errors} maxlength={TEMPLATE_LIMITS.category} />
      </div>
      <label class="row">
        <input type="checkbox" name="active" value="true" checked={v.active !== "false"} /> Active
      </label>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

export function TemplatesIndex(props: { admin: AdminContext; csrfToken: string; flash?: Flash; templates: PublicTemplate[]; canManage: boolean; values?: TemplateFormValues; errors?: FieldError[] }) {
  return (
    <AdminLayout title="Templates" admin={props.admin} csrfToken={props.csrfToken} active="templates" flash={props.flash}>
      <h1>Templates</h1>
      {props.templates.length === 0 ? (
        <EmptyState>No templates yet. Templates are the messages triggers, flows and follow-ups send.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>Key</th>
                <th>Body</th>
                <th>Variables</th>
                <th>Variants</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {props.templates.map((t) => (
                <tr>
                  <td data-label="">
                    <a href={`/templates/${t.id}`} safe>
                      {t.key}
                    </a>
                  </td>
                  <td data-label="Body" safe>
                    {t.body.length > 120 ? `${t.body.slice(0, 120)}…` : t.body}
                  </td>
                  <td data-label="Variables" safe>
                    {t.variables.join(", ") || "—"}
                  </td>
                  <td data-label="Variants" safe>
                    {String(t.variants.length)}
                  </td>
                  <td data-label="Status">{t.active ? <Badge tone="ok">active</Badge> : <Badge>inactive</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canManage ? (
        <>
          <h2>New template</h2>
          <TemplateForm action="/templates" values={props.values ?? {}} errors={props.errors} submitLabel="Create template" />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

export function TemplatePreview({ text, errors }: { text?: string; errors?: FieldError[] }) {
  return (
    <div id="template-preview" class="card">
      {text !== undefined ? <p class="bubble bubble-assistant" safe>{text}</p> : ""}
      {errors?.map((e) => <p class="error" safe>{e.message}</p>)}
    </div>
  );
}

export function TemplateShow(props: { admin: AdminContext; csrfToken: string; flash?: Flash; template: PublicTemplate; canManage: boolean; values: TemplateFormValues; errors?: FieldError[] }) {
  const t = props.template;
  return (
    <AdminLayout title={t.key} admin={props.admin} csrfToken={props.csrfToken} active="templates" flash={props.flash}>
      <p>
        <a href="/templates">← Templates</a>
      </p>
      <h1 safe>{t.key}</h1>
      <h2>Preview</h2>
      <form class="card" hx-post={`/templates/${t.id}/preview`} hx-target="#template-preview" hx-swap="outerHTML">
        {t.variables.map((name) => (
          <Field label={name} name={`var.${name}`} />
        ))}
        {t.variables.length === 0 ? <p class="muted">This template has no variables.</p> : ""}
        <button type="submit" class="secondary">
          Preview a variant
        </button>
      </form>
      <TemplatePreview />
      {props.canManage ? (
        <>
          <h2>Edit</h2>
          <TemplateForm action={`/templates/${t.id}`} values={props.values} errors={props.errors} submitLabel="Save" />
          <form method="post" action={`/templates/${t.id}/delete`} data-confirm="Delete this template?">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="danger">
              Delete template
            </button>
          </form>
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
