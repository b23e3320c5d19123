import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { RecordSummary, toPublicTool } from "@/features/tools/tool.service";
import { HTTP_TOOL_METHODS } from "@/db/schema";
import { RECORD_KINDS, TOOL_LIMITS, type RecordKind } from "@/features/tools/tool.schema";
import { formatMoney, formatNumber, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, SelectField, Time, fieldError } from "../components/ui";

type PublicTool = ReturnType<typeof toPublicTool>;
export type ToolFormValues = Record<string, string | undefined>;

type RecordRow = RecordSummary;

const EXAMPLE_SCHEMA = '{"type":"object","properties":{"orderId":{"type":"string"}},"required":["orderId"]}';

function TextArea(props: { name: string; label: string; value?: string; errors?: FieldError[]; rows?: number; placeholder?: string; prefix?: string }) {
  // Errors of nested paths (headers.0.value, parameters.x) are shown with their field.
  const error =
    props.errors?.find((e) => e.path === props.name || e.path.startsWith(`${props.prefix ?? props.name}.`))?.message ?? fieldError(props.errors, props.name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${props.name}`} safe>
        {props.label}
      </label>
      <textarea id={`f-${props.name}`} name={props.name} rows={String(props.rows ?? 3)} placeholder={props.placeholder} safe>
        {props.value ?? ""}
      </textarea>
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

export function ToolForm(props: { action: string; values: ToolFormValues; errors?: FieldError[]; submitLabel: string; secretNames?: string[] }) {
  const v = props.values;
  return (
    <form id="tool-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#tool-form" hx-swap="outerHTML">
      <Field label={tText("tools:fields.name")} name="name" value={v.name} errors={props.errors} required maxlength={TOOL_LIMITS.name} />
      <Field
        label={tText("tools:fields.description")}
        name="description"
        value={v.description}
        errors={props.errors}
        required
        maxlength={TOOL_LIMITS.description}
      />
      <TextArea label={tText("tools:fields.parameters")} name="parameters" value={v.parameters} errors={props.errors} rows={5} placeholder={EXAMPLE_SCHEMA} />
      <div class="row">
        <SelectField label={tText("tools:fields.method")} name="method" value={v.method ?? "POST"} errors={props.errors} options={HTTP_TOOL_METHODS} />
        <Field label={tText("tools:fields.url")} name="url" value={v.url} errors={props.errors} required maxlength={TOOL_LIMITS.url} />
      </div>
      <TextArea label={tText("tools:fields.headers")} name="headers" value={v.headers} errors={props.errors} prefix="headers" />
      <TextArea label={tText("tools:fields.secretHeaders")} name="secretHeaders" errors={props.errors} />
      {props.secretNames?.length ? (
        <p class="muted small" safe>
          {props.secretNames.map((n) => `${n}: ${tText("tools:secretSet")}`).join(" · ")}
        </p>
      ) : (
        ""
      )}
      <Field label={tText("tools:fields.timeoutMs")} name="timeoutMs" value={v.timeoutMs} errors={props.errors} placeholder="10000" />
      <label class="row">
        <input type="checkbox" name="active" value="true" checked={v.active !== "false"} /> {t("tools:fields.active")}
      </label>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

function RecordsSection({ records }: { records: Record<RecordKind, RecordRow[]> }) {
  return (
    <section>
      <h2>{t("tools:records.title")}</h2>
      {RECORD_KINDS.map((kind) => (
        <div class="card">
          <h3>{t(`tools:records.${kind}`)}</h3>
          {records[kind].length === 0 ? (
            <p class="muted">{t("tools:records.none")}</p>
          ) : (
            <table class="stack-table">
              <thead>
                <tr>
                  <th>{t("tools:records.at")}</th>
                  <th>{t("tools:records.contact")}</th>
                  <th>{t("tools:records.summary")}</th>
                  <th>{t("tools:records.status")}</th>
                </tr>
              </thead>
              <tbody>
                {records[kind].map((r) => (
                  <tr>
                    <td data-label={tText("tools:records.at")}>
                      <Time at={r.createdAt} />
                    </td>
                    <td data-label={tText("tools:records.contact")}>
                      <a href={`/contacts/${r.contactId}`} safe>
                        {r.contactName ?? r.contactId.slice(0, 8)}
                      </a>
                    </td>
                    <td data-label={tText("tools:records.summary")}>
                      <span safe>{r.text}</span>
                      {r.amount !== null ? <strong safe>{` ${formatMoney(r.amount)}`}</strong> : ""}
                      {r.dueDate ? <span class="muted" safe>{` · ${r.dueDate}`}</span> : ""}
                      {r.dueAt ? (
                        <span class="muted">
                          {" · "}
                          <Time at={r.dueAt} />
                        </span>
                      ) : (
                        ""
                      )}
                    </td>
                    <td data-label={tText("tools:records.status")}>
                      {t(`tools:records.statuses.${r.status}`)}
                      {r.severity ? <span class="muted"> · {t(`tools:records.severities.${r.severity}`)}</span> : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </section>
  );
}

export function ToolsIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  tools: PublicTool[];
  canManage: boolean;
  records: Record<RecordKind, RecordRow[]>;
  values?: ToolFormValues;
  errors?: FieldError[];
}) {
  return (
    <AdminLayout title={tText("tools:title")} admin={props.admin} csrfToken={props.csrfToken} active="tools" flash={props.flash}>
      <h1>{t("tools:title")}</h1>
      <p class="muted">{t("tools:intro")}</p>
      {props.tools.length === 0 ? (
        <EmptyState>{t("tools:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("tools:table.name")}</th>
                <th>{t("tools:table.method")}</th>
                <th>{t("tools:table.url")}</th>
                <th>{t("tools:table.active")}</th>
              </tr>
            </thead>
            <tbody>
              {props.tools.map((tool) => (
                <tr>
                  <td data-label="">
                    <a href={`/tools/${tool.id}`} safe>
                      {tool.name}
                    </a>
                  </td>
                  <td data-label={tText("tools:table.method")}>{tool.method}</td>
                  <td data-label={tText("tools:table.url")} safe>
                    {tool.url}
                  </td>
                  <td data-label={tText("tools:table.active")}>{tool.active ? <Badge tone="ok">{t("tools:yes")}</Badge> : <Badge>{t("tools:no")}</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canManage ? (
        <>
          <h2>{t("tools:newTool")}</h2>
          <ToolForm action="/tools" values={props.values ?? {}} errors={props.errors} submitLabel={tText("tools:create")} />
        </>
      ) : (
        ""
      )}
      <RecordsSection records={props.records} />
    </AdminLayout>
  );
}

export function ToolShow(props: { admin: AdminContext; csrfToken: string; flash?: Flash; tool: PublicTool; canManage: boolean; values: ToolFormValues }) {
  const tool = props.tool;
  return (
    <AdminLayout title={tool.name} admin={props.admin} csrfToken={props.csrfToken} active="tools" flash={props.flash}>
      <p>
        <a href="/tools">{t("tools:title")}</a>
      </p>
      <h1 safe>{tool.name}</h1>
      <p class="muted" safe>
        {`${tool.method} ${tool.url} · ${formatNumber(tool.timeoutMs)} ms`}
      </p>
      {props.canManage ? (
        <>
          <ToolForm
            action={`/tools/${tool.id}`}
            values={props.values}
            submitLabel={tText("tools:save")}
            secretNames={tool.headers.filter((h) => h.secret).map((h) => h.name)}
          />
          <form method="post" action={`/tools/${tool.id}/delete`} data-confirm={tText("tools:deleteConfirm")}>
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="danger">
              {t("tools:delete")}
            </button>
          </form>
        </>
      ) : (
        <pre safe>{JSON.stringify(tool.parameters, null, 2)}</pre>
      )}
    </AdminLayout>
  );
}
