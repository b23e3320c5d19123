import type { AdminContext } from "@/auth/plugin";
import { config } from "@/config";
import type { ApiKeyListItem } from "@/features/api-keys/api-key.service";
import type { ApiKeyFormValues } from "@/features/api-keys/api-key.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { EmptyState } from "../components/ui";
import { ApiKeyForm, type BindingOptions } from "./_form";
import { ApiKeyRow } from "./_row";

export type CreatedSecret = { name: string; secret: string };

/** The one and only time a full key is rendered; the page is served with Cache-Control: no-store. */
export function CreatedKey({ created, title = tText("api-keys:created.title") }: { created: CreatedSecret; title?: string }) {
  const curl = `curl ${config.appUrl}/v1/instances \\\n  -H "Authorization: Bearer ${created.secret}"`;
  return (
    <div class="card created-secret" role="status">
      <h2 safe>{title}</h2>
      <p>{t("api-keys:created.copyNow", { name: created.name })}</p>
      <div class="row">
        <code id="new-key-secret" class="secret" safe>
          {created.secret}
        </code>
        <button type="button" class="secondary" data-copy="#new-key-secret" data-copied={tText("api-keys:created.copied")}>
          {t("api-keys:created.copy")}
        </button>
      </div>
      <details>
        <summary class="small">{t("api-keys:created.example")}</summary>
        <pre safe>{curl}</pre>
      </details>
    </div>
  );
}

export function ApiKeyTable({ keys }: { keys: ApiKeyListItem[] }) {
  if (keys.length === 0) return <EmptyState>{t("api-keys:page.empty")}</EmptyState>;
  return (
    <div class="table-wrap">
      <table id="api-key-table" class="stack-table">
        <thead>
          <tr>
            <th>{t("api-keys:table.name")}</th>
            <th>{t("api-keys:table.scopes")}</th>
            <th>{t("api-keys:table.bindings")}</th>
            <th>{t("api-keys:table.activity")}</th>
            <th>{t("api-keys:table.status")}</th>
            <th>
              <span class="sr-only">{t("api-keys:table.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <ApiKeyRow apiKey={k} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

type ContentProps = {
  csrfToken: string;
  keys: ApiKeyListItem[];
  options: BindingOptions;
  values?: ApiKeyFormValues;
  errors?: FieldError[];
  created?: CreatedSecret;
};

/** Everything below the title; the create form swaps this whole region (new key + refreshed list). */
export function ApiKeysContent({ csrfToken, keys, options, values, errors, created }: ContentProps) {
  return (
    <div id="api-keys">
      {created ? <CreatedKey created={created} /> : ""}
      <ApiKeyForm csrfToken={csrfToken} options={options} values={values} errors={errors} />
      <h2>{t("api-keys:page.keysHeading")}</h2>
      <ApiKeyTable keys={keys} />
    </div>
  );
}

export function ApiKeysPage(props: ContentProps & { admin: AdminContext; flash?: Flash }) {
  return (
    <AdminLayout title={tText("api-keys:page.title")} admin={props.admin} csrfToken={props.csrfToken} active="api-keys" flash={props.flash}>
      <h1>{t("api-keys:page.title")}</h1>
      <p class="muted">{t("api-keys:page.intro")}</p>
      <ApiKeysContent {...props} />
    </AdminLayout>
  );
}
