import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, knowledgeChunks, knowledgeSettings, ragAnalytics } from "@/db/schema";
import { decryptSecret } from "@/lib/crypto";
import { api } from "../helpers/client";
import { createMember, setupOrg } from "../helpers/factories";
import { startModelServer } from "./model-server";
import { processed } from "./process";
import { documentJson } from "@/features/knowledge/knowledge.service";

const app = createApp();
const model = startModelServer();
const FIXTURES = join(import.meta.dir, "../fixtures/knowledge");
const pdf = () => readFileSync(join(FIXTURES, "precos.pdf"));
const docx = () => readFileSync(join(FIXTURES, "trocas.docx"));

/** A page server for URL documents (a real HTTP server on 127.0.0.1). */
const pages = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/faq.html")
      return new Response("<html><body><h1>Horários</h1><p>Atendemos de segunda a sexta, das 9h às 18h.</p><script>track()</script></body></html>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    if (path === "/image.png") return new Response(new Uint8Array([137, 80, 78, 71]), { headers: { "content-type": "image/png" } });
    if (path === "/huge.txt") return new Response("x".repeat(11 * 1024 * 1024), { headers: { "content-type": "text/plain" } });
    if (path === "/moved") return new Response(null, { status: 302, headers: { location: "/faq.html" } });
    return new Response("missing", { status: 404 });
  },
});
const pageUrl = (path: string) => `http://127.0.0.1:${pages.port}${path}`;

let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  // The page and model servers run on 127.0.0.1; each refusal test turns this off for its call.
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
  other = await setupOrg(app);
});
afterAll(() => {
  model.stop();
  pages.stop(true);
  config.allowPrivateWebhookTargets = false;
});

async function upload(key: string, collectionId: string, bytes: Uint8Array, name: string, type: string) {
  const form = new FormData();
  form.append("file", new File([bytes as Uint8Array<ArrayBuffer>], name, { type }));
  const res = await app.handle(
    new Request(`http://localhost/v1/knowledge/collections/${collectionId}/documents`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "accept-language": "en" },
      body: form,
    }),
  );
  const body = (await res.json()) as any;
  // The upload answers at once; the worker (run here once, as its loop would) extracts and indexes.
  if (body.document && !body.duplicate) {
    expect(body.document.status).toBe("pending");
    body.document = await processedJson(body.document.id);
  }
  return { status: res.status, body };
}

/** The knowledge worker run once, then the document as the API shows it. */
async function processedJson(id: string) {
  return documentJson((await processed({ document: { id } })).document);
}

async function newCollection(key: string, name: string) {
  const res = await api(app, "POST", "/v1/knowledge/collections", key, { name, description: "test" });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
}

describe("collections", () => {
  test("CRUD, unique names as 422 on name, audit rows, and another organization's ids read as 404", async () => {
    expect((await api(app, "GET", "/v1/knowledge/collections")).status).toBe(401);
    const c = await newCollection(org.key, "Preços");
    expect((await api(app, "POST", "/v1/knowledge/collections", org.key, { name: "Preços" })).body.error.details[0].path).toBe("name");
    const blank = await api(app, "POST", "/v1/knowledge/collections", org.key, { name: "" });
    expect(blank.status).toBe(422);
    expect(blank.body.error.details[0].path).toBe("name");
    const patched = await api(app, "PATCH", `/v1/knowledge/collections/${c.id}`, org.key, { name: "Preços 2026" });
    expect(patched.body.name).toBe("Preços 2026");
    const list = await api(app, "GET", "/v1/knowledge/collections", org.key);
    expect(list.body.data.map((x: any) => x.name)).toContain("Preços 2026");
    expect((await api(app, "GET", `/v1/knowledge/collections/${c.id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/knowledge/collections/${c.id}`, other.key, { name: "x" })).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/knowledge/collections/${c.id}`, other.key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/knowledge/collections/not-a-uuid", org.key)).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/knowledge/collections/${c.id}`, org.key)).status).toBe(204);
    const actions = (await db.select().from(auditLogs).where(eq(auditLogs.organizationId, org.organization.id))).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["knowledge_collection.created", "knowledge_collection.updated", "knowledge_collection.deleted"]));
  });
});

describe("documents", () => {
  test("a PDF is extracted and indexed; the same bytes again are one document (duplicate: true), even in another collection", async () => {
    const c = await newCollection(org.key, "Tabelas");
    const first = await upload(org.key, c.id, pdf(), "precos.pdf", "application/pdf");
    expect(first.status).toBe(201);
    expect(first.body.duplicate).toBe(false);
    expect(first.body.document).toMatchObject({ title: "precos.pdf", status: "ready", error: null, source: "upload", mimeType: "application/pdf" });
    expect(first.body.document.chunkCount).toBeGreaterThan(0);
    expect(first.body.document.sha256).toMatch(/^[0-9a-f]{64}$/);
    const chunks = await db.select().from(knowledgeChunks).where(eq(knowledgeChunks.documentId, first.body.document.id));
    expect(chunks.map((ch) => ch.content).join(" ")).toContain("Plano Profissional: R$ 129,90");
    const again = await upload(org.key, c.id, pdf(), "copia.pdf", "application/pdf");
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, document: { id: first.body.document.id, title: "precos.pdf" } });
    const elsewhere = await newCollection(org.key, "Outra");
    expect((await upload(org.key, elsewhere.id, pdf(), "precos.pdf", "application/pdf")).body.document.id).toBe(first.body.document.id);
    // Another organization uploading the same file gets its own document.
    const theirs = await newCollection(other.key, "Deles");
    const theirUpload = await upload(other.key, theirs.id, pdf(), "precos.pdf", "application/pdf");
    expect(theirUpload.status).toBe(201);
    expect(theirUpload.body.document.id).not.toBe(first.body.document.id);
    expect((await api(app, "GET", `/v1/knowledge/documents/${first.body.document.id}`, other.key)).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/knowledge/documents/${first.body.document.id}`, other.key)).status).toBe(404);
    const docs = await api(app, "GET", `/v1/knowledge/collections/${c.id}/documents`, org.key);
    expect(docs.body.data.map((d: any) => d.title)).toEqual(["precos.pdf"]);
  });

  test("DOCX and Markdown are indexed; an unsupported type, a missing file and a broken PDF are 422 or failed with a reason", async () => {
    const c = await newCollection(org.key, "Políticas");
    const d = await upload(org.key, c.id, docx(), "trocas.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect(d.body.document.status).toBe("ready");
    const md = await upload(org.key, c.id, new TextEncoder().encode("# Entrega\nEntregamos em todo o Brasil."), "entrega.md", "");
    expect(md.body.document).toMatchObject({ status: "ready", chunkCount: 1 });
    const png = await upload(org.key, c.id, new Uint8Array([137, 80, 78, 71, 1, 2]), "foto.png", "image/png");
    expect(png.status).toBe(422);
    expect(png.body.error.details[0].path).toBe("file");
    const none = await api(app, "POST", `/v1/knowledge/collections/${c.id}/documents`, org.key, {});
    expect(none.status).toBe(422);
    expect(none.body.error.details[0].path).toBe("file");
    const broken = await upload(org.key, c.id, new TextEncoder().encode("%PDF-1.4 not really"), "quebrado.pdf", "application/pdf");
    expect(broken.status).toBe(201);
    expect(broken.body.document.status).toBe("failed");
    // Written by the worker in the organization's language (pt-BR), not the request's.
    expect(broken.body.document.error).toContain("Não foi possível ler o arquivo");
    expect(broken.body.document.chunkCount).toBe(0);
  });

  test("a URL is fetched through the outbound guard: private addresses refused unless allowed, type and size checked, redirects not followed", async () => {
    const c = await newCollection(org.key, "Site");
    config.allowPrivateWebhookTargets = false;
    const refused = await api(app, "POST", `/v1/knowledge/collections/${c.id}/documents`, org.key, { url: pageUrl("/faq.html") });
    config.allowPrivateWebhookTargets = true;
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].path).toBe("url");
    const page = await api(app, "POST", `/v1/knowledge/collections/${c.id}/documents`, org.key, { url: pageUrl("/faq.html") });
    expect(page.status).toBe(201);
    expect(page.body.document.status).toBe("pending");
    page.body.document = await processedJson(page.body.document.id);
    expect(page.body.document).toMatchObject({ source: "url", sourceUrl: pageUrl("/faq.html"), mimeType: "text/html", status: "ready" });
    const [chunk] = await db.select().from(knowledgeChunks).where(eq(knowledgeChunks.documentId, page.body.document.id));
    expect(chunk!.content).toContain("Atendemos de segunda a sexta");
    expect(chunk!.content).not.toContain("track()");
    for (const [path, fragment] of [
      ["/image.png", "Unsupported file type"],
      ["/huge.txt", "over 10 MB"],
      ["/moved", "redirect"],
      ["/nope", "404"],
    ] as const) {
      const res = await api(app, "POST", `/v1/knowledge/collections/${c.id}/documents`, org.key, { url: pageUrl(path) });
      expect(res.status).toBe(422);
      expect(res.body.error.details[0]).toMatchObject({ path: "url" });
      expect(res.body.error.details[0].message).toContain(fragment);
    }
    const bad = await api(app, "POST", `/v1/knowledge/collections/${c.id}/documents`, org.key, { url: "ftp://x" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe("url");
    // Reindexing a page fetches it again.
    const re = await api(app, "POST", `/v1/knowledge/documents/${page.body.document.id}/reindex`, org.key);
    expect(re.body).toMatchObject({ id: page.body.document.id, status: "pending" });
    expect(await processedJson(page.body.document.id)).toMatchObject({ status: "ready" });
  });

  test("agents read the knowledge base but only admins change it", async () => {
    const agent = await createMember(org.organization.id, "agent");
    const { signIn } = await import("../helpers/factories");
    const client = await signIn(app, agent.id, org.organization.id);
    expect((await client.get("/knowledge")).status).toBe(200);
    const res = await client.postForm("/knowledge/collections", { name: "Agente" }, { htmx: true });
    expect(res.status).toBe(403);
  });
});

describe("search, embeddings and unanswered questions", () => {
  test("full-text search finds the PDF's price; every search is recorded; unanswered questions are listed with counts", async () => {
    const { key, organization } = await setupOrg(app);
    const c = await newCollection(key, "FAQ");
    await upload(key, c.id, pdf(), "precos.pdf", "application/pdf");
    await upload(key, c.id, docx(), "trocas.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    const found = await api(app, "POST", "/v1/knowledge/search", key, { q: "Quanto custa o plano profissional?" });
    expect(found.status).toBe(200);
    expect(found.body.mode).toBe("fts");
    expect(found.body.data[0]).toMatchObject({ label: "[1] precos.pdf", title: "precos.pdf", matchedBy: ["fts"] });
    expect(found.body.data[0].content).toContain("129,90");
    const trocas = await api(app, "POST", "/v1/knowledge/search", key, { q: "prazo para trocar o produto" });
    expect(trocas.body.data[0].title).toBe("trocas.docx");
    for (let i = 0; i < 2; i++) await api(app, "POST", "/v1/knowledge/search", key, { q: "Vocês vendem  bicicletas?" });
    await api(app, "POST", "/v1/knowledge/search", key, { q: "vocês vendem bicicletas?" });
    expect((await api(app, "POST", "/v1/knowledge/search", key, { q: "" })).body.error.details[0].path).toBe("q");
    expect((await api(app, "POST", "/v1/knowledge/search", key, { q: "x", collectionIds: ["nope"] })).body.error.details[0].path).toBe("collectionIds.0");
    const rows = await db.select().from(ragAnalytics).where(eq(ragAnalytics.organizationId, organization.id));
    expect(rows.length).toBe(5);
    expect(rows.every((r) => r.origin === "api")).toBe(true);
    const unanswered = await api(app, "GET", "/v1/knowledge/unanswered?period=7d", key);
    expect(unanswered.status).toBe(200);
    expect(unanswered.body.total).toBe(5);
    expect(unanswered.body.data).toHaveLength(1);
    // "vocês" also appears in trocas.docx: found, but with a score under LOW_SCORE (and "bicicletas" nowhere).
    expect(unanswered.body.data[0].asked).toBe(3);
    expect(unanswered.body.data[0].bestScore).toBeLessThan(unanswered.body.lowScore);
    expect(unanswered.body.data[0].question.toLowerCase()).toContain("bicicletas");
    expect((await api(app, "GET", "/v1/knowledge/unanswered?period=2y", key)).status).toBe(422);
    // Another organization's questions are not listed.
    expect((await api(app, "GET", "/v1/knowledge/unanswered", other.key)).body.data).toEqual([]);
  });

  test("with an embeddings endpoint (key encrypted, guarded), new documents are embedded and search is hybrid; a failing endpoint fails the document with a reason", async () => {
    const { key, organization } = await setupOrg(app);
    const c = await newCollection(key, "FAQ");
    const set = await api(app, "PUT", "/v1/knowledge/settings", key, { baseUrl: model.baseUrl, model: "embed-test", apiKey: "sk-embed" });
    expect(set.status).toBe(200);
    expect(set.body.embeddings).toMatchObject({ baseUrl: model.baseUrl, model: "embed-test", hasApiKey: true });
    const [stored] = await db.select().from(knowledgeSettings).where(eq(knowledgeSettings.organizationId, organization.id));
    expect(stored!.embeddingsApiKeyEnc).not.toContain("sk-embed");
    expect(decryptSecret(stored!.embeddingsApiKeyEnc!)).toBe("sk-embed");
    const added = await upload(key, c.id, pdf(), "precos.pdf", "application/pdf");
    expect(added.body.document).toMatchObject({ status: "ready", embedded: true });
    expect(model.state.embeddings.at(-1).model).toBe("embed-test");
    const [chunk] = await db.select().from(knowledgeChunks).where(eq(knowledgeChunks.documentId, added.body.document.id));
    expect(chunk!.embedding!.length).toBe(256);
    const found = await api(app, "POST", "/v1/knowledge/search", key, { q: "preço do plano profissional" });
    expect(found.body.mode).toBe("hybrid");
    expect(found.body.data[0].title).toBe("precos.pdf");
    expect(found.body.data[0].matchedBy).toEqual(expect.arrayContaining(["fts", "vector"]));
    // Same base URL without a key keeps the stored one; a new base URL drops it.
    expect((await api(app, "PUT", "/v1/knowledge/settings", key, { baseUrl: model.baseUrl, model: "embed-2" })).body.embeddings.hasApiKey).toBe(true);
    model.state.failEmbeddings = true;
    try {
      const failed = await upload(key, c.id, docx(), "trocas.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
      expect(failed.body.document.status).toBe("failed");
      expect(failed.body.document.error).toContain("O endpoint de embeddings falhou");
      // Search degrades to full text when the endpoint is down.
      expect((await api(app, "POST", "/v1/knowledge/search", key, { q: "plano profissional" })).body.mode).toBe("fts");
    } finally {
      model.state.failEmbeddings = false;
    }
    // The same file again once the endpoint works: the failed document is indexed again, not a duplicate.
    const retried = await upload(key, c.id, docx(), "trocas.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect(retried.body).toMatchObject({ duplicate: false, document: { status: "ready", embedded: true, error: null } });
    config.allowPrivateWebhookTargets = false;
    const refused = await api(app, "PUT", "/v1/knowledge/settings", key, { baseUrl: model.baseUrl, model: "embed-test" });
    config.allowPrivateWebhookTargets = true;
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].path).toBe("baseUrl");
    expect((await api(app, "DELETE", "/v1/knowledge/settings", key)).status).toBe(204);
    expect((await api(app, "GET", "/v1/knowledge/settings", key)).body.embeddings).toBeNull();
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "knowledge_settings.updated")));
    expect(JSON.stringify(audit)).not.toContain("sk-embed");
  });
});
