import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { toPublicTemplate } from "@/features/templates/template.service";
import { TEMPLATE_LIMITS } from "@/features/templates/template.schema";
import { AdminLayout } from "../layouts/admin";
import { t, tText } from "@/lib/i18n";
import { Badge, EmptyState, Field, Time, fieldError } from "../components/ui";

type PublicTemplate = ReturnType<typeof toPublicTemplate>;
export type TemplateFormValues = { key?: string; body?: string; variants?: string; variables?: string; locale?: string; category?: string; active?: string };

/** `variants.2` → "Variant 3: …": people count from one. */
function variantError(e: FieldError): string {
  const index = Number(e.path.split(".")[1]);
  return Number.isInteger(index) ? tText("templates:form.variantError", { number: index + 1, message: e.message }) : e.message;
}

export function TemplateForm(props: { action: string; values: TemplateFormValues; errors?: FieldError[]; submitLabel: string; id?: string }) {
  const v = props.values;
  const formId = props.id ?? "template-form";
  return (
    <form id={formId} class="card" method="post" action={props.action} hx-post={props.action} hx-target={`#${formId}`} hx-swap="outerHTML">
      <Field
        label={tText("templates:form.key")}
        name="key"
        value={v.key}
        errors={props.errors}
        required
        maxlength={TEMPLATE_LIMITS.key}
        placeholder={tText("templates:form.keyPlaceholder")}
      />
      <div class={fieldError(props.errors, "body") ? "field has-error" : "field"}>
        <label for={`${formId}-body`}>{t("templates:form.body", { example: "{{name}}" })}</label>
        <textarea id={`${formId}-body`} name="body" rows="3" maxlength={TEMPLATE_LIMITS.body} required safe>
          {v.body ?? ""}
        </textarea>
        {fieldError(props.errors, "body") ? (
          <small class="error" safe>
            {fieldError(props.errors, "body")}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class={props.errors?.some((e) => e.path.startsWith("variants")) ? "field has-error" : "field"}>
        <label for={`${formId}-variants`}>{t("templates:form.variants")}</label>
        <textarea id={`${formId}-variants`} name="variants" rows="3" safe>
          {v.variants ?? ""}
        </textarea>
        {props.errors
          ?.filter((e) => e.path.startsWith("variants"))
          .map((e) => (
            <small class="error" safe>
              {variantError(e)}
            </small>
          ))}
      </div>
      <Field label={tText("templates:form.variables")} name="variables" value={v.variables} errors={props.errors} />
      <div class="row">
        <Field
          label={tText("templates:form.locale")}
          name="locale"
          value={v.locale}
          errors={props.errors}
          maxlength={TEMPLATE_LIMITS.locale}
          placeholder={tText("templates:form.localePlaceholder")}
        />
        <Field label={tText("templates:form.category")} name="category" value={v.category} errors={props.errors} maxlength={TEMPLATE_LIMITS.category} />
      </div>
      <label class="row">
        <input type="checkbox" name="active" value="true" checked={v.active !== "false"} /> {t("templates:form.active")}
      </label>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

export function TemplatesIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  templates: PublicTemplate[];
  canManage: boolean;
  values?: TemplateFormValues;
  errors?: FieldError[];
  /** Templates synced from providers (Cloud WABAs) and the instances that can sync them. */
  providerTemplates?: ProviderTemplateView[];
  syncable?: { id: string; name: string }[];
}) {
  return (
    <AdminLayout title={tText("templates:title")} admin={props.admin} csrfToken={props.csrfToken} active="templates" flash={props.flash}>
      <h1>{t("templates:title")}</h1>
      {props.templates.length === 0 ? (
        <EmptyState>{t("templates:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("templates:columns.key")}</th>
                <th>{t("templates:columns.body")}</th>
                <th>{t("templates:columns.variables")}</th>
                <th>{t("templates:columns.variants")}</th>
                <th>{t("templates:columns.status")}</th>
                <th>{t("templates:columns.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {props.templates.map((tpl) => (
                <tr>
                  <td data-label="">
                    <a href={`/templates/${tpl.id}`} safe>
                      {tpl.key}
                    </a>
                  </td>
                  <td data-label={tText("templates:columns.body")} safe>
                    {tpl.body.length > 120 ? `${tpl.body.slice(0, 120)}…` : tpl.body}
                  </td>
                  <td data-label={tText("templates:columns.variables")} safe>
                    {tpl.variables.join(", ") || "—"}
                  </td>
                  <td data-label={tText("templates:columns.variants")} safe>
                    {String(tpl.variants.length)}
                  </td>
                  <td data-label={tText("templates:columns.status")}>
                    {tpl.active ? <Badge tone="ok">{t("templates:status.active")}</Badge> : <Badge>{t("templates:status.inactive")}</Badge>}
                  </td>
                  <td data-label={tText("templates:columns.updated")}>
                    <Time at={tpl.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ProviderTemplates templates={props.providerTemplates ?? []} syncable={props.syncable ?? []} canManage={props.canManage} />
      {props.canManage ? (
        <>
          <h2>{t("templates:newTemplate")}</h2>
          <TemplateForm action="/templates" values={props.values ?? {}} errors={props.errors} submitLabel={tText("templates:form.create")} />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

export type ProviderTemplateView = {
  id: string;
  instanceName: string;
  name: string;
  language: string;
  category: string | null;
  status: string;
  syncedAt: Date;
};

/** The Cloud instances' WABA templates beside the local ones, with a sync button per instance. */
function ProviderTemplates(props: { templates: ProviderTemplateView[]; syncable: { id: string; name: string }[]; canManage: boolean }) {
  if (props.syncable.length === 0 && props.templates.length === 0) return "";
  return (
    <section id="provider-templates">
      <h2>{t("templates:provider.title")}</h2>
      {props.canManage
        ? props.syncable.map((instance) => (
            <form method="post" action="/templates/provider/sync" class="row">
              <input type="hidden" name="instanceId" value={instance.id} />
              <button type="submit" class="secondary">
                {t("templates:provider.sync")} — <span safe>{instance.name}</span>
              </button>
            </form>
          ))
        : ""}
      {props.templates.length === 0 ? (
        <EmptyState>{t("templates:provider.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("templates:provider.instance")}</th>
                <th>{t("templates:provider.name")}</th>
                <th>{t("templates:provider.language")}</th>
                <th>{t("templates:provider.category")}</th>
                <th>{t("templates:provider.status")}</th>
                <th>{t("templates:provider.syncedAt")}</th>
              </tr>
            </thead>
            <tbody>
              {props.templates.map((pt) => (
                <tr>
                  <td data-label={tText("templates:provider.instance")} safe>
                    {pt.instanceName}
                  </td>
                  <td data-label={tText("templates:provider.name")} safe>
                    {pt.name}
                  </td>
                  <td data-label={tText("templates:provider.language")} safe>
                    {pt.language}
                  </td>
                  <td data-label={tText("templates:provider.category")} safe>
                    {pt.category ?? "—"}
                  </td>
                  <td data-label={tText("templates:provider.status")}>
                    <Badge tone={pt.status === "APPROVED" ? "ok" : undefined}>
                      <span safe>{pt.status}</span>
                    </Badge>
                  </td>
                  <td data-label={tText("templates:provider.syncedAt")}>
                    <Time at={pt.syncedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function TemplatePreview({ text, errors }: { text?: string; errors?: FieldError[] }) {
  return (
    <div id="template-preview" class="card">
      {text !== undefined ? (
        <p class="bubble bubble-assistant" safe>
          {text}
        </p>
      ) : (
        ""
      )}
      {errors?.map((e) => (
        <p class="error" safe>
          {e.message}
        </p>
      ))}
    </div>
  );
}

export function TemplateShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  template: PublicTemplate;
  canManage: boolean;
  values: TemplateFormValues;
  errors?: FieldError[];
}) {
  const tpl = props.template;
  return (
    <AdminLayout title={tpl.key} admin={props.admin} csrfToken={props.csrfToken} active="templates" flash={props.flash}>
      <p>
        <a href="/templates">{t("templates:back")}</a>
      </p>
      <h1 safe>{tpl.key}</h1>
      <h2>{t("templates:preview.title")}</h2>
      <form class="card" hx-post={`/templates/${tpl.id}/preview`} hx-target="#template-preview" hx-swap="outerHTML">
        {tpl.variables.map((name) => (
          <Field label={name} name={`var.${name}`} />
        ))}
        {tpl.variables.length === 0 ? <p class="muted">{t("templates:preview.noVariables")}</p> : ""}
        <button type="submit" class="secondary">
          {t("templates:preview.submit")}
        </button>
      </form>
      <TemplatePreview />
      {props.canManage ? (
        <>
          <h2>{t("templates:edit")}</h2>
          <TemplateForm action={`/templates/${tpl.id}`} values={props.values} errors={props.errors} submitLabel={tText("common:actions.save")} />
          <form method="post" action={`/templates/${tpl.id}/delete`} data-confirm={tText("templates:deleteConfirm")}>
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="danger">
              {t("templates:deleteButton")}
            </button>
          </form>
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
