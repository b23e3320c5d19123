import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, formFields, formText, parseForm, unprocessable, type FormBody } from "@/lib/forms";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import {
  AddDocumentForms,
  CollectionForm,
  CollectionShow,
  DocumentShow,
  EmbeddingsForm,
  KnowledgeIndex,
  SearchResults,
  LowScoreForm,
  UnansweredPage,
  type CollectionFormValues,
} from "@views/knowledge/index";
import { KnowledgePickerOptions } from "@views/knowledge/_picker";
import { addUrlSchema, createCollectionSchema, embeddingsSettingsSchema, KNOWLEDGE_LIMITS, lowScoreSchema, unansweredQuerySchema } from "./knowledge.schema";
import { listUnanswered, passageJson, searchKnowledge } from "./knowledge.search";
import {
  addUploadedDocument,
  addUrlDocument,
  canManageKnowledge,
  lowScoreOf,
  clearEmbeddingsSettings,
  collectionJson,
  collectionOptions,
  createCollection,
  deleteCollection,
  deleteDocument,
  documentChunks,
  documentJson,
  getCollection,
  getDocument,
  getKnowledgeSettings,
  listCollections,
  listDocuments,
  reindexDocument,
  setEmbeddingsSettings,
  setLowScoreThreshold,
  settingsJson,
  updateCollection,
  type AddedDocument,
} from "./knowledge.service";

const idParams = z.object({ id: z.string() });
const searchQuery = z.object({ q: z.string().max(KNOWLEDGE_LIMITS.query).optional() });

const collectionValues = (body: FormBody): CollectionFormValues => ({ name: formText(body.name), description: formText(body.description) });

/** The knowledge base's admin pages: every member reads and searches; admins add, reindex and delete. */
export const knowledgePages = new Elysia({ name: "knowledge-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/knowledge",
    async ({ admin, csrfToken, cookie, query }) => {
      const q = query.q?.trim() ?? "";
      const search = q ? await searchKnowledge(admin, { q, limit: KNOWLEDGE_LIMITS.topK }, "admin") : null;
      return KnowledgeIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        collections: (await listCollections(admin)).map((r) => collectionJson(r.collection, r.documents)),
        canManage: canManageKnowledge(admin),
        settings: settingsJson(await getKnowledgeSettings(admin)),
        search: search ? { query: q, mode: search.mode, passages: search.passages.map(passageJson) } : undefined,
      });
    },
    { member: "agent", query: searchQuery },
  )
  .get(
    "/knowledge/search",
    async ({ admin, query }) => {
      const q = query.q?.trim() ?? "";
      if (!q) return SearchResults({ query: "", mode: "fts", passages: [] });
      const r = await searchKnowledge(admin, { q, limit: KNOWLEDGE_LIMITS.topK }, "admin");
      return SearchResults({ query: q, mode: r.mode, passages: r.passages.map(passageJson) });
    },
    { member: "agent", query: searchQuery, detail: { hide: true } },
  )
  .post(
    "/knowledge/collections",
    async ({ admin, body, request, set, cookie }) => {
      const values = collectionValues(formFields(body));
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => CollectionForm({ action: "/knowledge/collections", values, errors, submitLabel: tText("knowledge:form.create") }));
      const parsed = parseForm(createCollectionSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createCollection(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("knowledge:flash.collectionCreated"));
      return hxRedirect(request, `/knowledge/collections/${created.value.id}`);
    },
    { member: "agent" },
  )
  .get(
    "/knowledge/collections/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const collection = await getCollection(admin, params.id);
      return CollectionShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        collection: collectionJson(collection),
        documents: (await listDocuments(admin, collection.id)).map(documentJson),
        values: { name: collection.name, description: collection.description ?? "" },
        canManage: canManageKnowledge(admin),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/knowledge/collections/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      await getCollection(admin, params.id);
      const values = collectionValues(formFields(body));
      const action = `/knowledge/collections/${params.id}`;
      const rerender = (errors: FieldError[]) =>
        unprocessable(set, () => CollectionForm({ action, values, errors, submitLabel: tText("common:actions.save") }));
      const parsed = parseForm(createCollectionSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateCollection(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("knowledge:flash.collectionSaved"));
      return hxRedirect(request, action);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/knowledge/collections/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteCollection(admin, params.id);
      setFlash(cookie, "success", tText("knowledge:flash.collectionDeleted"));
      return hxRedirect(request, "/knowledge");
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/knowledge/collections/:id/documents",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const collection = await getCollection(admin, params.id);
      const fields = formFields(body);
      const url = formText(fields.url).trim();
      const rerender = (errors: FieldError[]) => unprocessable(set, () => AddDocumentForms({ collectionId: collection.id, csrfToken, errors, url }));
      let added: AddedDocument;
      if (url || "url" in fields) {
        const parsed = parseForm(addUrlSchema, { url });
        if (!parsed.ok) return rerender(parsed.errors);
        const result = await attemptForm(() => addUrlDocument(admin, collection.id, parsed.value.url));
        if (!result.ok) return rerender(result.errors);
        added = result.value;
      } else {
        const result = await attemptForm(() => addUploadedDocument(admin, collection.id, fields.file));
        if (!result.ok) return rerender(result.errors);
        added = result.value;
      }
      const doc = added.document;
      if (added.duplicate) {
        const notice = tText("knowledge:flash.duplicate", { title: doc.title });
        if (isHtmx(request)) return AddDocumentForms({ collectionId: collection.id, csrfToken, notice });
        setFlash(cookie, "info", notice);
      } else if (doc.status === "failed") {
        setFlash(cookie, "error", tText("knowledge:flash.documentFailed", { title: doc.title, error: doc.error ?? "" }));
      } else if (doc.status === "pending") {
        setFlash(cookie, "success", tText("knowledge:flash.documentQueued", { title: doc.title }));
      } else {
        setFlash(cookie, "success", tText("knowledge:flash.documentAdded", { title: doc.title, count: doc.chunkCount }));
      }
      return hxRedirect(request, `/knowledge/collections/${collection.id}`);
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/knowledge/documents/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const doc = await getDocument(admin, params.id);
      const collection = await getCollection(admin, doc.collectionId);
      return DocumentShow({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        document: documentJson(doc),
        collection: collectionJson(collection),
        passages: await documentChunks(admin, doc.id),
        canManage: canManageKnowledge(admin),
      });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/knowledge/documents/:id/reindex",
    async ({ admin, params, request, cookie }) => {
      const doc = await reindexDocument(admin, params.id);
      if (doc.status === "failed") setFlash(cookie, "error", tText("knowledge:flash.documentFailed", { title: doc.title, error: doc.error ?? "" }));
      else setFlash(cookie, "success", tText("knowledge:flash.reindexed", { title: doc.title }));
      return hxRedirect(request, `/knowledge/documents/${doc.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/knowledge/documents/:id/delete",
    async ({ admin, params, request, cookie }) => {
      const doc = await deleteDocument(admin, params.id);
      setFlash(cookie, "success", tText("knowledge:flash.documentDeleted", { title: doc.title }));
      return hxRedirect(request, `/knowledge/collections/${doc.collectionId}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/knowledge/settings",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values = { baseUrl: formText(fields.baseUrl).trim(), model: formText(fields.model).trim() };
      const settings = settingsJson(await getKnowledgeSettings(admin));
      const rerender = (errors: FieldError[]) => unprocessable(set, () => EmbeddingsForm({ settings, values, errors }));
      const parsed = parseForm(embeddingsSettingsSchema, { ...values, apiKey: formText(fields.apiKey) || undefined });
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => setEmbeddingsSettings(admin, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("knowledge:flash.settingsSaved"));
      return hxRedirect(request, "/knowledge");
    },
    { member: "agent" },
  )
  .post(
    "/knowledge/settings/clear",
    async ({ admin, request, cookie }) => {
      await clearEmbeddingsSettings(admin);
      setFlash(cookie, "success", tText("knowledge:flash.settingsCleared"));
      return hxRedirect(request, "/knowledge");
    },
    { member: "agent" },
  )
  .get(
    "/knowledge/picker",
    async ({ admin, query }) =>
      KnowledgePickerOptions({
        collections: await collectionOptions(admin.organization.id),
        selected: (query.selected ?? "").split(",").filter(Boolean),
      }),
    { member: "agent", query: z.object({ selected: z.string().max(2000).optional() }), detail: { hide: true } },
  )
  .get(
    "/knowledge/unanswered",
    async ({ admin, csrfToken, query, set }) => {
      const parsed = unansweredQuerySchema.safeParse(query);
      const period = parsed.success ? parsed.data.period : "30d";
      if (!parsed.success) set.status = 422;
      const r = await listUnanswered(admin, period);
      return UnansweredPage({
        admin,
        csrfToken,
        period,
        since: r.since,
        total: r.total,
        unanswered: r.unanswered,
        lowScore: r.lowScore,
        canManage: canManageKnowledge(admin),
        questions: r.questions,
      });
    },
    { member: "agent" },
  )
  .post(
    "/knowledge/settings/low-score",
    async ({ admin, body, request, set, cookie }) => {
      const value = formText(formFields(body).lowScore).trim();
      const parsed = parseForm(lowScoreSchema, { lowScore: value });
      if (!parsed.ok) {
        const lowScore = await lowScoreOf(admin.organization.id);
        return unprocessable(set, () => LowScoreForm({ lowScore, value, errors: parsed.errors }));
      }
      await setLowScoreThreshold(admin, parsed.value);
      setFlash(cookie, "success", tText("knowledge:flash.lowScoreSaved"));
      return hxRedirect(request, "/knowledge/unanswered");
    },
    { member: "agent" },
  );
