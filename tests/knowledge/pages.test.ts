import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { knowledgeDocuments, knowledgeSettings } from "@/db/schema";
import { processPendingDocuments } from "@/features/knowledge/knowledge.jobs";
import { addUploadedDocument, createCollection } from "@/features/knowledge/knowledge.service";
import { systemCaller } from "@/lib/caller";
import { createMember, portugueseOrg, setupOrg, signIn } from "../helpers/factories";
import { startModelServer } from "./model-server";

const app = createApp();
const model = startModelServer();
const pdf = readFileSync(join(import.meta.dir, "../fixtures/knowledge/precos.pdf"));

beforeAll(() => {
  config.allowPrivateWebhookTargets = true;
});
afterAll(() => {
  model.stop();
  config.allowPrivateWebhookTargets = false;
});

/** A multipart form post as the upload form sends it (htmx: CSRF header, HX-Request). */
function uploadForm(client: Awaited<ReturnType<typeof signIn>>, collectionId: string, file: File | null) {
  const form = new FormData();
  if (file) form.append("file", file);
  return client.request(`/knowledge/collections/${collectionId}/documents`, { method: "POST", body: form, htmx: true });
}

describe("knowledge pages", () => {
  test("logged out is sent to sign in; another organization's collection and document are 404", async () => {
    const { client } = await setupOrg(app);
    const other = await setupOrg(app);
    const theirs = await createCollection(systemCaller("t", other.organization.id), { name: "Deles" });
    const { document } = await addUploadedDocument(
      systemCaller("t", other.organization.id),
      theirs.id,
      new File(["Texto deles."], "deles.txt", { type: "text/plain" }),
    );
    const anonymous = await app.handle(new Request("http://localhost/knowledge"));
    expect([302, 303, 401]).toContain(anonymous.status);
    expect((await client.get(`/knowledge/collections/${theirs.id}`)).status).toBe(404);
    expect((await client.get(`/knowledge/documents/${document.id}`)).status).toBe(404);
    expect((await client.postForm(`/knowledge/documents/${document.id}/delete`, {}, { htmx: true })).status).toBe(404);
    const [still] = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.id, document.id));
    expect(still).toBeTruthy();
  });

  test("create a collection (422 re-render keeps the typed text), upload, duplicate notice, failed file shown with its error, passages page", async () => {
    const { client, organization } = await setupOrg(app);
    const blank = await client.postForm("/knowledge/collections", { name: "", description: "Tabela" }, { htmx: true });
    expect(blank.status).toBe(422);
    const blankHtml = await blank.text();
    expect(blankHtml).toContain('id="collection-form"');
    expect(blankHtml).toContain("Tabela");
    const created = await client.postForm("/knowledge/collections", { name: "Preços", description: "Tabela" }, { htmx: true });
    const location = created.headers.get("hx-redirect") ?? created.headers.get("location") ?? "";
    expect(location).toMatch(/^\/knowledge\/collections\/[0-9a-f-]{36}$/);
    const collectionId = location.split("/").at(-1)!;
    const taken = await client.postForm("/knowledge/collections", { name: "Preços" }, { htmx: true });
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain("already exists");

    const none = await uploadForm(client, collectionId, null);
    expect(none.status).toBe(422);
    expect(await none.text()).toContain("Choose a file.");
    const up = await uploadForm(client, collectionId, new File([pdf], "precos.pdf", { type: "application/pdf" }));
    expect(up.headers.get("hx-redirect")).toBe(`/knowledge/collections/${collectionId}`);
    // Answered at once, pending: the table says so and refreshes itself until the worker is done.
    const waiting = await (await client.get(`/knowledge/collections/${collectionId}`)).text();
    expect(waiting).toContain("badge-warn");
    expect(waiting).toContain('hx-trigger="every 2s"');
    expect(waiting).toContain('hx-select="#documents-table"');
    expect(await processPendingDocuments()).toBeGreaterThanOrEqual(1);
    const dup = await uploadForm(client, collectionId, new File([pdf], "outra.pdf", { type: "application/pdf" }));
    expect(dup.status).toBe(200);
    expect(await dup.text()).toContain("This file is already in the knowledge base (precos.pdf): nothing was added.");
    await uploadForm(client, collectionId, new File(["%PDF-1.4 nope"], "quebrado.pdf", { type: "application/pdf" }));
    await processPendingDocuments();
    const badUrl = await client.postForm(`/knowledge/collections/${collectionId}/documents`, { url: "notaurl" }, { htmx: true });
    expect(badUrl.status).toBe(422);
    expect(await badUrl.text()).toContain("notaurl");

    const show = await (await client.get(`/knowledge/collections/${collectionId}`)).text();
    expect(show).toContain("precos.pdf");
    expect(show).toContain("badge-ok");
    expect(show).toContain("quebrado.pdf");
    expect(show).toContain("badge-bad");
    expect(show).toContain("Não foi possível ler o arquivo"); // the worker writes in the organization's language
    expect(show).not.toContain('hx-trigger="every 2s"');
    const [doc] = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.title, "precos.pdf"));
    const docPage = await (await client.get(`/knowledge/documents/${doc!.id}`)).text();
    expect(docPage).toContain("Plano Profissional: R$ 129,90");
    expect(docPage).toContain(doc!.sha256);

    // Search from the index page: passages with their source labels.
    const results = await (await client.get("/knowledge/search?q=plano%20profissional", { htmx: true })).text();
    expect(results).toContain("[1] precos.pdf");
    const index = await (await client.get("/knowledge?q=plano%20profissional")).text();
    expect(index).toContain("[1] precos.pdf");
    expect(index).toContain('href="/knowledge/unanswered"');

    // Embeddings endpoint: saved with the key hidden; reindexing the upload embeds its passages.
    const saved = await client.postForm("/knowledge/settings", { baseUrl: model.baseUrl, model: "embed-x", apiKey: "sk-page" }, { htmx: true });
    expect(saved.headers.get("hx-redirect")).toBe("/knowledge");
    const after = await (await client.get("/knowledge")).text();
    expect(after).toContain("embed-x");
    expect(after).not.toContain("sk-page");
    const [settings] = await db.select().from(knowledgeSettings).where(eq(knowledgeSettings.organizationId, organization.id));
    expect(settings!.embeddingsApiKeyEnc).toBeTruthy();
    await client.postForm(`/knowledge/documents/${doc!.id}/reindex`, {}, { htmx: true });
    await processPendingDocuments();
    const [reindexed] = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.id, doc!.id));
    expect(reindexed!.embedded).toBe(true);
    const badSettings = await client.postForm("/knowledge/settings", { baseUrl: "ftp://x", model: "" }, { htmx: true });
    expect(badSettings.status).toBe(422);
    await client.postForm("/knowledge/settings/clear", {}, { htmx: true });
    // The endpoint and its key are gone; the row stays for the organization's other knowledge settings.
    const [cleared] = await db.select().from(knowledgeSettings).where(eq(knowledgeSettings.organizationId, organization.id));
    expect(cleared).toMatchObject({ embeddingsBaseUrl: null, embeddingsModel: null, embeddingsApiKeyEnc: null });

    const deleted = await client.postForm(`/knowledge/documents/${doc!.id}/delete`, {}, { htmx: true });
    expect(deleted.headers.get("hx-redirect")).toBe(`/knowledge/collections/${collectionId}`);
    await client.postForm(`/knowledge/collections/${collectionId}/delete`, {}, { htmx: true });
    expect((await client.get(`/knowledge/collections/${collectionId}`)).status).toBe(404);
  });

  test("agents read and search but see no management forms, and their posts are refused", async () => {
    const { organization } = await setupOrg(app);
    const c = await createCollection(systemCaller("t", organization.id), { name: "FAQ" });
    const agent = await createMember(organization.id, "agent");
    const client = await signIn(app, agent.id, organization.id);
    const index = await (await client.get("/knowledge")).text();
    expect(index).toContain("FAQ");
    expect(index).not.toContain('id="collection-form"');
    expect(index).not.toContain('id="embeddings-form"');
    const show = await (await client.get(`/knowledge/collections/${c.id}`)).text();
    expect(show).not.toContain('id="add-document"');
    expect((await uploadForm(client, c.id, new File(["x"], "x.txt", { type: "text/plain" }))).status).toBe(403);
    expect((await client.postForm("/knowledge/settings", { baseUrl: "https://example.com/v1", model: "m" }, { htmx: true })).status).toBe(403);
    expect((await client.postForm(`/knowledge/collections/${c.id}/delete`, {}, { htmx: true })).status).toBe(403);
  });

  test("in Portuguese: the unanswered questions page with its period filter, counts and São Paulo times", async () => {
    const { client, organization, key } = await portugueseOrg(app);
    const c = await createCollection(systemCaller("t", organization.id), { name: "FAQ" });
    await addUploadedDocument(systemCaller("t", organization.id), c.id, new File([pdf], "precos.pdf", { type: "application/pdf" }));
    await processPendingDocuments();
    const { api } = await import("../helpers/client");
    for (let i = 0; i < 2; i++) await api(app, "POST", "/v1/knowledge/search", key, { q: "Vocês aceitam bitcoin?" });
    await api(app, "POST", "/v1/knowledge/search", key, { q: "Plano Profissional preço" });
    const page = await client.get("/knowledge/unanswered?period=7d", { headers: { "accept-language": "pt-BR" } });
    const html = await page.text();
    expect(html).toContain("<h1>Perguntas sem resposta</h1>");
    expect(html).toContain("Vocês aceitam bitcoin?");
    expect(html).not.toContain("Plano Profissional preço");
    expect(html).toContain("2 de 3 buscas no período ficaram sem boa resposta.");
    expect(html).toContain('<option value="7d" selected');
    expect(html).toMatch(/\d{2}\/\d{2}\/\d{4}/);
    const bad = await client.get("/knowledge/unanswered?period=ever", { headers: { "accept-language": "pt-BR" } });
    expect(bad.status).toBe(422);
    const index = await (await client.get("/knowledge", { headers: { "accept-language": "pt-BR" } })).text();
    expect(index).toContain("Base de conhecimento");
    expect(index).toContain("Criar coleção");
  });
});
