import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { collectionJson, documentJson, settingsJson } from "@/features/knowledge/knowledge.service";
import type { passageJson } from "@/features/knowledge/knowledge.search";
import { KNOWLEDGE_LIMITS, UNANSWERED_PERIODS } from "@/features/knowledge/knowledge.schema";
import { formatNumber, t, tText } from "@/lib/i18n";
import { formatBytes } from "@/lib/media-url";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, Time, fieldError } from "../components/ui";

type PublicCollection = ReturnType<typeof collectionJson>;
type PublicDocument = ReturnType<typeof documentJson>;
type PublicPassage = ReturnType<typeof passageJson>;
type PublicSettings = ReturnType<typeof settingsJson>;

/** Example values shown as placeholders: the same in every language. */
const EXAMPLES = { baseUrl: "https://api.openai.com/v1", model: "text-embedding-3-small", url: "https://" } as const;

export type CollectionFormValues = { name?: string; description?: string };
export type EmbeddingsFormValues = { baseUrl?: string; model?: string };

function KnowledgeTabs(props: { active: "collections" | "unanswered" }) {
  return (
    <nav class="tabs" aria-label={tText("knowledge:title")}>
      <a href="/knowledge" aria-current={props.active === "collections" ? "page" : undefined}>
        {t("knowledge:tabs.collections")}
      </a>
      <a href="/knowledge/unanswered" aria-current={props.active === "unanswered" ? "page" : undefined}>
        {t("knowledge:tabs.unanswered")}
      </a>
    </nav>
  );
}

export function CollectionForm(props: { action: string; values: CollectionFormValues; errors?: FieldError[]; submitLabel: string }) {
  const v = props.values;
  const descriptionError = fieldError(props.errors, "description");
  return (
    <form id="collection-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#collection-form" hx-swap="outerHTML">
      <Field label={tText("knowledge:form.name")} name="name" value={v.name} errors={props.errors} required maxlength={KNOWLEDGE_LIMITS.name} />
      <div class={descriptionError ? "field has-error" : "field"}>
        <label for="collection-description">{t("knowledge:form.description")}</label>
        <textarea id="collection-description" name="description" rows="2" maxlength={KNOWLEDGE_LIMITS.description} safe>
          {v.description ?? ""}
        </textarea>
        {descriptionError ? (
          <small class="error" safe>
            {descriptionError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

export function EmbeddingsForm(props: { settings: PublicSettings; values: EmbeddingsFormValues; errors?: FieldError[] }) {
  const e = props.settings.embeddings;
  return (
    <form
      id="embeddings-form"
      class="card"
      method="post"
      action="/knowledge/settings"
      hx-post="/knowledge/settings"
      hx-target="#embeddings-form"
      hx-swap="outerHTML"
    >
      <p class="muted small">{e ? t("knowledge:embeddings.on", { model: e.model }) : t("knowledge:embeddings.off")}</p>
      <div class="row">
        <Field
          label={tText("knowledge:embeddings.baseUrl")}
          name="baseUrl"
          type="url"
          value={props.values.baseUrl}
          errors={props.errors}
          required
          maxlength={KNOWLEDGE_LIMITS.url}
          placeholder={EXAMPLES.baseUrl}
        />
        <Field
          label={tText("knowledge:embeddings.model")}
          name="model"
          value={props.values.model}
          errors={props.errors}
          required
          maxlength={KNOWLEDGE_LIMITS.model}
          placeholder={EXAMPLES.model}
        />
      </div>
      <Field
        label={tText("knowledge:embeddings.apiKey")}
        name="apiKey"
        type="password"
        errors={props.errors}
        maxlength={KNOWLEDGE_LIMITS.apiKey}
        autocomplete="off"
        hint={e?.hasApiKey ? tText("knowledge:embeddings.apiKeyKept") : tText("knowledge:embeddings.apiKeyHint")}
      />
      <div class="row">
        <button type="submit">{t("knowledge:embeddings.save")}</button>
        {e ? (
          <button
            type="submit"
            class="secondary"
            formaction="/knowledge/settings/clear"
            hx-post="/knowledge/settings/clear"
            hx-confirm={tText("knowledge:embeddings.confirmClear")}
          >
            {t("knowledge:embeddings.clear")}
          </button>
        ) : (
          ""
        )}
      </div>
    </form>
  );
}

/** Passages a search found, with their source labels (what a workflow's model would be given). */
export function SearchResults(props: { query: string; mode: "fts" | "hybrid"; passages: PublicPassage[] }) {
  return (
    <section id="knowledge-search-results" aria-live="polite">
      {props.query ? (
        props.passages.length === 0 ? (
          <EmptyState>{t("knowledge:search.none")}</EmptyState>
        ) : (
          <>
            <p class="muted small">{t(props.mode === "hybrid" ? "knowledge:search.modeHybrid" : "knowledge:search.modeFts")}</p>
            <ol class="knowledge-results">
              {props.passages.map((p) => (
                <li>
                  <strong safe>{p.label}</strong> <span class="muted small">{t("knowledge:search.score", { score: formatNumber(p.score) })}</span>
                  <p class="passage" safe>
                    {p.content.length > 600 ? `${p.content.slice(0, 600)}…` : p.content}
                  </p>
                </li>
              ))}
            </ol>
          </>
        )
      ) : (
        ""
      )}
    </section>
  );
}

export function KnowledgeIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  collections: PublicCollection[];
  canManage: boolean;
  settings: PublicSettings;
  search?: { query: string; mode: "fts" | "hybrid"; passages: PublicPassage[] };
}) {
  const e = props.settings.embeddings;
  return (
    <AdminLayout title={tText("knowledge:title")} admin={props.admin} csrfToken={props.csrfToken} active="knowledge" flash={props.flash}>
      <h1>{t("knowledge:title")}</h1>
      <p class="muted">{t("knowledge:intro")}</p>
      <KnowledgeTabs active="collections" />
      {props.collections.length === 0 ? (
        <EmptyState>{t("knowledge:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("knowledge:columns.name")}</th>
                <th>{t("knowledge:columns.description")}</th>
                <th>{t("knowledge:columns.documents")}</th>
                <th>{t("knowledge:columns.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {props.collections.map((c) => (
                <tr>
                  <td data-label="">
                    <a href={`/knowledge/collections/${c.id}`} safe>
                      {c.name}
                    </a>
                  </td>
                  <td data-label={tText("knowledge:columns.description")} safe>
                    {c.description ?? ""}
                  </td>
                  <td data-label={tText("knowledge:columns.documents")} safe>
                    {formatNumber(c.documentCount ?? 0)}
                  </td>
                  <td data-label={tText("knowledge:columns.updated")}>
                    <Time at={c.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("knowledge:search.title")}</h2>
      <form class="card row" method="get" action="/knowledge" hx-get="/knowledge/search" hx-target="#knowledge-search-results" hx-swap="outerHTML">
        <div class="field">
          <label for="knowledge-q">{t("knowledge:search.label")}</label>
          <input id="knowledge-q" name="q" type="search" maxlength={KNOWLEDGE_LIMITS.query} value={props.search?.query ?? ""} />
        </div>
        <button type="submit">{t("knowledge:search.submit")}</button>
      </form>
      <SearchResults query={props.search?.query ?? ""} mode={props.search?.mode ?? "fts"} passages={props.search?.passages ?? []} />
      {props.canManage ? (
        <>
          <h2>{t("knowledge:newCollection")}</h2>
          <CollectionForm action="/knowledge/collections" values={{}} submitLabel={tText("knowledge:form.create")} />
          <h2>{t("knowledge:embeddings.title")}</h2>
          <p class="muted small">{t("knowledge:embeddings.intro")}</p>
          <EmbeddingsForm settings={props.settings} values={{ baseUrl: e?.baseUrl, model: e?.model }} />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

const STATUS_TONE = { ready: "ok", pending: "warn", failed: "bad" } as const;

export function DocumentStatus(props: { doc: PublicDocument }) {
  return (
    <>
      <Badge tone={STATUS_TONE[props.doc.status]}>{t(`knowledge:status.${props.doc.status}`)}</Badge>
      {props.doc.error ? (
        <small class="error" safe>
          {props.doc.error}
        </small>
      ) : (
        ""
      )}
    </>
  );
}

/** Upload a file or give a URL; the answer (with errors, or the duplicate notice) replaces this block. */
export function AddDocumentForms(props: { collectionId: string; csrfToken: string; errors?: FieldError[]; url?: string; notice?: string }) {
  const action = `/knowledge/collections/${props.collectionId}/documents`;
  const fileError = fieldError(props.errors, "file");
  return (
    <div id="add-document" class="card">
      {props.notice ? (
        <p class="flash flash-info" role="status" safe>
          {props.notice}
        </p>
      ) : (
        ""
      )}
      <form
        method="post"
        action={action}
        hx-post={action}
        hx-target="#add-document"
        hx-swap="outerHTML"
        enctype="multipart/form-data"
        hx-encoding="multipart/form-data"
      >
        <CsrfField token={props.csrfToken} />
        <div class={fileError ? "field has-error" : "field"}>
          <label for="knowledge-file">{t("knowledge:documents.file")}</label>
          <input id="knowledge-file" name="file" type="file" accept=".pdf,.docx,.txt,.md,.markdown,.html,.htm" required />
          <small class="hint">{t("knowledge:documents.fileHint", { max: KNOWLEDGE_LIMITS.documentBytes / 1024 / 1024 })}</small>
          {fileError ? (
            <small class="error" safe>
              {fileError}
            </small>
          ) : (
            ""
          )}
        </div>
        <button type="submit">{t("knowledge:documents.upload")}</button>
      </form>
      <form method="post" action={action} hx-post={action} hx-target="#add-document" hx-swap="outerHTML">
        <CsrfField token={props.csrfToken} />
        <Field
          label={tText("knowledge:documents.url")}
          name="url"
          type="url"
          value={props.url}
          errors={props.errors}
          required
          maxlength={KNOWLEDGE_LIMITS.url}
          placeholder={EXAMPLES.url}
        />
        <button type="submit">{t("knowledge:documents.addUrl")}</button>
      </form>
    </div>
  );
}

/**
 * The collection's documents. While one is pending (the worker is extracting it) the table refreshes
 * itself every 2 s from the collection page (hx-select takes just this table), so its status turns
 * ready or failed without a reload.
 */
export function DocumentsTable(props: { collectionId: string; documents: PublicDocument[] }) {
  if (props.documents.length === 0) return <EmptyState>{t("knowledge:documents.empty")}</EmptyState>;
  const pending = props.documents.some((d) => d.status === "pending");
  return (
    <div
      class="table-wrap"
      id="documents-table"
      hx-get={pending ? `/knowledge/collections/${props.collectionId}` : undefined}
      hx-select={pending ? "#documents-table" : undefined}
      hx-trigger={pending ? "every 2s" : undefined}
      hx-swap={pending ? "outerHTML" : undefined}
    >
      <table class="stack-table">
        <thead>
          <tr>
            <th>{t("knowledge:documents.title")}</th>
            <th>{t("knowledge:documents.status")}</th>
            <th>{t("knowledge:documents.passages")}</th>
            <th>{t("knowledge:documents.size")}</th>
            <th>{t("knowledge:documents.added")}</th>
          </tr>
        </thead>
        <tbody>
          {props.documents.map((d) => (
            <tr>
              <td data-label="">
                <a href={`/knowledge/documents/${d.id}`} safe>
                  {d.title}
                </a>
                {d.source === "url" ? <span class="muted small"> {t("knowledge:documents.fromUrl")}</span> : ""}
              </td>
              <td data-label={tText("knowledge:documents.status")}>
                <DocumentStatus doc={d} />
              </td>
              <td data-label={tText("knowledge:documents.passages")}>
                <span safe>{formatNumber(d.chunkCount)}</span>
                {d.embedded ? <span class="muted small"> {t("knowledge:documents.embedded")}</span> : ""}
              </td>
              <td data-label={tText("knowledge:documents.size")} safe>
                {formatBytes(d.byteSize)}
              </td>
              <td data-label={tText("knowledge:documents.added")}>
                <Time at={d.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function CollectionShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  collection: PublicCollection;
  documents: PublicDocument[];
  values: CollectionFormValues;
  canManage: boolean;
}) {
  const c = props.collection;
  return (
    <AdminLayout title={c.name} admin={props.admin} csrfToken={props.csrfToken} active="knowledge" flash={props.flash}>
      <p>
        <a href="/knowledge">{t("knowledge:back")}</a>
      </p>
      <h1 safe>{c.name}</h1>
      {c.description ? (
        <p class="muted" safe>
          {c.description}
        </p>
      ) : (
        ""
      )}
      <h2>{t("knowledge:documents.heading")}</h2>
      <DocumentsTable collectionId={c.id} documents={props.documents} />
      {props.canManage ? (
        <>
          <h2>{t("knowledge:documents.add")}</h2>
          <AddDocumentForms collectionId={c.id} csrfToken={props.csrfToken} />
          <h2>{t("knowledge:editCollection")}</h2>
          <CollectionForm action={`/knowledge/collections/${c.id}`} values={props.values} submitLabel={tText("common:actions.save")} />
          <form
            method="post"
            action={`/knowledge/collections/${c.id}/delete`}
            hx-post={`/knowledge/collections/${c.id}/delete`}
            hx-confirm={tText("knowledge:confirmDeleteCollection")}
          >
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="danger">
              {t("knowledge:deleteCollection")}
            </button>
          </form>
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

export function DocumentShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  document: PublicDocument;
  collection: PublicCollection;
  passages: { position: number; content: string; embedded: boolean }[];
  canManage: boolean;
}) {
  const d = props.document;
  return (
    <AdminLayout title={d.title} admin={props.admin} csrfToken={props.csrfToken} active="knowledge" flash={props.flash}>
      <p>
        <a href={`/knowledge/collections/${props.collection.id}`} safe>
          {`← ${props.collection.name}`}
        </a>
      </p>
      <h1 safe>{d.title}</h1>
      <dl class="facts">
        <dt>{t("knowledge:documents.status")}</dt>
        <dd>
          <DocumentStatus doc={d} />
        </dd>
        <dt>{t("knowledge:documents.type")}</dt>
        <dd safe>{d.mimeType}</dd>
        <dt>{t("knowledge:documents.size")}</dt>
        <dd safe>{formatBytes(d.byteSize)}</dd>
        <dt>{t("knowledge:documents.sha256")}</dt>
        <dd>
          <code class="small" safe>
            {d.sha256}
          </code>
        </dd>
        {d.sourceUrl ? (
          <>
            <dt>{t("knowledge:documents.url")}</dt>
            <dd safe>{d.sourceUrl}</dd>
          </>
        ) : (
          ""
        )}
      </dl>
      {props.canManage ? (
        <div class="row">
          <form method="post" action={`/knowledge/documents/${d.id}/reindex`} hx-post={`/knowledge/documents/${d.id}/reindex`}>
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="secondary">
              {t("knowledge:documents.reindex")}
            </button>
          </form>
          <form
            method="post"
            action={`/knowledge/documents/${d.id}/delete`}
            hx-post={`/knowledge/documents/${d.id}/delete`}
            hx-confirm={tText("knowledge:documents.confirmDelete")}
          >
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="danger">
              {t("common:actions.delete")}
            </button>
          </form>
        </div>
      ) : (
        ""
      )}
      <h2>{t("knowledge:documents.passagesHeading", { count: props.passages.length })}</h2>
      {props.passages.length === 0 ? (
        <EmptyState>{t("knowledge:documents.noPassages")}</EmptyState>
      ) : (
        <ol class="knowledge-passages">
          {props.passages.map((p) => (
            <li>
              <pre class="passage" safe>
                {p.content}
              </pre>
            </li>
          ))}
        </ol>
      )}
    </AdminLayout>
  );
}

/**
 * The organization's low-score threshold (admins): under it a retrieval counts as unanswered. Field's
 * markup, with a number input's bounds and a step fine enough for 0.05 (Field has no min/max/step).
 */
export function LowScoreForm(props: { lowScore: number; value?: string; errors?: FieldError[] }) {
  const error = props.errors?.find((e) => e.path === "lowScore")?.message;
  return (
    <form
      id="low-score-form"
      class="row"
      method="post"
      action="/knowledge/settings/low-score"
      hx-post="/knowledge/settings/low-score"
      hx-target="this"
      hx-swap="outerHTML"
    >
      <div class={error ? "field has-error" : "field"}>
        <label for="f-lowScore">{t("knowledge:lowScore.label")}</label>
        <input
          id="f-lowScore"
          name="lowScore"
          type="number"
          min="0"
          max="1"
          step="any"
          value={props.value ?? String(props.lowScore)}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "f-lowScore-hint f-lowScore-error" : "f-lowScore-hint"}
        />
        <small class="hint" id="f-lowScore-hint">
          {t("knowledge:lowScore.help")}
        </small>
        {error ? (
          <small class="error" id="f-lowScore-error" safe>
            {error}
          </small>
        ) : (
          ""
        )}
      </div>
      <button type="submit">{t("common:actions.save")}</button>
    </form>
  );
}

export function UnansweredPage(props: {
  admin: AdminContext;
  csrfToken: string;
  period: (typeof UNANSWERED_PERIODS)[number];
  since: Date;
  total: number;
  unanswered: number;
  lowScore: number;
  canManage: boolean;
  questions: { question: string; asked: number; nothingFound: number; bestScore: number; lastAsked: Date }[];
}) {
  return (
    <AdminLayout title={tText("knowledge:unanswered.title")} admin={props.admin} csrfToken={props.csrfToken} active="knowledge">
      <h1>{t("knowledge:unanswered.title")}</h1>
      <p class="muted">{t("knowledge:unanswered.intro", { score: formatNumber(props.lowScore) })}</p>
      <KnowledgeTabs active="unanswered" />
      {props.canManage ? <LowScoreForm lowScore={props.lowScore} /> : ""}
      <form class="row" method="get" action="/knowledge/unanswered">
        <div class="field">
          <label for="unanswered-period">{t("knowledge:unanswered.period")}</label>
          <select id="unanswered-period" name="period">
            {UNANSWERED_PERIODS.map((p) => (
              <option value={p} selected={p === props.period}>
                {t(`knowledge:periods.${p}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t("knowledge:unanswered.filter")}</button>
      </form>
      <p>{t("knowledge:unanswered.summary", { unanswered: formatNumber(props.unanswered), total: formatNumber(props.total) })}</p>
      {props.questions.length === 0 ? (
        <EmptyState>{t("knowledge:unanswered.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("knowledge:unanswered.question")}</th>
                <th>{t("knowledge:unanswered.asked")}</th>
                <th>{t("knowledge:unanswered.nothingFound")}</th>
                <th>{t("knowledge:unanswered.bestScore")}</th>
                <th>{t("knowledge:unanswered.lastAsked")}</th>
              </tr>
            </thead>
            <tbody>
              {props.questions.map((q) => (
                <tr>
                  <td data-label="" safe>
                    {q.question}
                  </td>
                  <td data-label={tText("knowledge:unanswered.asked")} safe>
                    {formatNumber(q.asked)}
                  </td>
                  <td data-label={tText("knowledge:unanswered.nothingFound")} safe>
                    {formatNumber(q.nothingFound)}
                  </td>
                  <td data-label={tText("knowledge:unanswered.bestScore")} safe>
                    {formatNumber(q.bestScore)}
                  </td>
                  <td data-label={tText("knowledge:unanswered.lastAsked")}>
                    <Time at={q.lastAsked} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminLayout>
  );
}
