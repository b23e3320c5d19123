import type { AdminContext } from "@/auth/plugin";
import { config } from "@/config";
import type { ApiKeyListItem } from "@/features/api-keys/api-key.service";
import type { ApiKeyFormValues } from "@/features/api-keys/api-key.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { AdminLayout } from "../layouts/admin";
import { EmptyState } from "../components/ui";
import { ApiKeyForm, type BindingOptions } from "./_form";
import { ApiKeyRow } from "./_row";

export type CreatedSecret = { name: string; secret: string };

/** The one and only time a full key is rendered; the page is served with Cache-Control: no-store. */
export function CreatedKey({ created, title = "API key created" }: { created: CreatedSecret; title?: string }) {
  const curl = `curl ${config.appUrl}/v1/instances \\\n  -H "Authorization: Bearer ${created.secret}"`;
  return (
    <div class="card created-secret" role="status">
      <h2 safe>{title}</h2>
      <p>
        Copy <strong safe>{created.name}</strong> now. It is stored only as a hash and <strong>will not be shown again</strong>.
      </p>
      <div class="row">
        <code id="new-key-secret" class="secret" safe>
          {created.secret}
        </code>
        <button type="button" class="secondary" data-copy="#new-key-secret">
          Copy
        </button>
      </div>
      <details>
        <summary class="small">Example request</summary>
        <pre safe>{curl}</pre>
      </details>
    </div>
  );
}

export function ApiKeyTable({ keys }: { keys: ApiKeyListItem[] }) {
  if (keys.length === 0) return <EmptyState>No API keys yet. Create one above to call the /v1 API.</EmptyState>;
  return (
    <div class="table-wrap">
      <table id="api-key-table" class="stack-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Scopes</th>
            <th>Bindings</th>
            <th>Activity</th>
            <th>Status</th>
            <th>
              <span class="sr-only">Actions</span>
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
      <h2>Keys</h2>
      <ApiKeyTable keys={keys} />
    </div>
  );
}

export function ApiKeysPage(props: ContentProps & { admin: AdminContext; flash?: Flash }) {
  return (
    <AdminLayout title="API keys" admin={props.admin} csrfToken={props.csrfToken} active="api-keys" flash={props.flash}>
      <h1>API keys</h1>
      <p class="muted">
        Keys authenticate calls to the <a href="/docs">/v1 API</a> with <code>Authorization: Bearer lc_live_…</code>. Revocation takes effect on every
        server within a second.
      </p>
      <ApiKeysContent {...props} />
    </AdminLayout>
  );
}
