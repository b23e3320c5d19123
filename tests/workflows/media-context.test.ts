// Issue 18 item 8: a customer's media reaches the workflow's model as context — images as image parts for a
// vision workflow (else "[imagem: legenda]"), voice notes as their stored transcript, documents as their text.
// The model is a real OpenAI-compatible server on 127.0.0.1 that records what it was sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { messages, organizations, threadMessages, threads } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { systemCaller } from "@/lib/caller";
import { wireFeatures } from "@/routes";
import { runMediaOnce } from "@/workers/media.worker";
import type { Instance } from "@/db/schema";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { createOwner } from "../helpers/factories";
import { createApp } from "@/app";
import { memberships, workflows } from "@/db/schema";
import { MEDIA_CONTEXT_LIMITS } from "@/features/workflows/media-context";
import { enableTranscription } from "../transcription/helpers";
import { signIn } from "../helpers/factories";
import { startOpenAiServer } from "./ai-servers";
import { startAnthropic } from "./engines/llm-servers";

const openai = startOpenAiServer();
const dataDir = mkdtempSync(join(tmpdir(), "livchat-media-context-"));
const saved = { openai: { ...config.openai }, dataDir: config.dataDir };

beforeAll(() => {
  // The test server plays the operator's endpoint; the media store writes under a throwaway directory.
  config.openai.baseUrl = openai.baseUrl;
  config.dataDir = dataDir;
  // The answer names what the model was given, so a test can also read it in the reply.
  openai.state.reply = (msgs) => {
    const content = msgs.at(-1)?.content;
    return `ok: ${typeof content === "string" ? content : JSON.stringify(content).slice(0, 200)}`;
  };
});
afterAll(() => {
  config.openai = saved.openai;
  config.dataDir = saved.dataDir;
  openai.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A real 1×1 PNG: file-type recognizes it, so the stored type is image/png. */
const PNG = Uint8Array.from(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"));
const PDF = new Uint8Array(readFileSync(join(import.meta.dir, "../fixtures/knowledge/precos.pdf")));
const at = (ms: number) => new Date(Date.now() + ms);
let seq = 0;

async function boundWorkflow(configExtra: Record<string, unknown> = {}) {
  const { organization } = await createOwner();
  await db.update(organizations).set({ language: "pt-BR" }).where(eq(organizations.id, organization.id));
  const instance = await connectedInstance(organization.id);
  const workflow = await createWorkflow(systemCaller("test", organization.id), {
    name: "Atendente",
    provider: "openai",
    config: { baseUrl: openai.baseUrl, model: "gpt-vision", debounceSeconds: 0, ...configExtra } as never,
  });
  await createTrigger(
    systemCaller("test", organization.id),
    triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
  );
  return { org: organization.id, instance, workflow };
}

/** A contact sends a file through the real inbound pipeline (inline base64, as WuzAPI does). */
async function contactSends(
  instance: Instance,
  from: string,
  type: "image" | "audio" | "document",
  bytes: Uint8Array,
  opts: { mimeType: string; caption?: string; fileName?: string },
) {
  wireFeatures();
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `media-${Date.now()}-${++seq}`,
    from,
    type,
    body: opts.caption,
    attachment: {
      source: { kind: "base64", data: Buffer.from(bytes).toString("base64") },
      mimeType: opts.mimeType,
      ...(opts.caption ? { caption: opts.caption } : {}),
      ...(opts.fileName ? { fileName: opts.fileName } : {}),
      ...(type === "audio" ? { voice: true } : {}),
    },
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.message) throw new Error("the message was not stored");
  await result.hooks;
  return result.message;
}

/** The user content of the last request the model server received. */
const lastUserContent = () => openai.state.requests.at(-1)?.messages.at(-1)?.content;

describe("media reaches the model as context", () => {
  test("a vision workflow gets the image as an image part (data URL) with its caption as text", async () => {
    const { instance, workflow } = await boundWorkflow({ vision: true });
    const before = openai.state.requests.length;
    await contactSends(instance, "+5511990000001", "image", PNG, { mimeType: "image/png", caption: "Quanto custa esta peça?" });
    // The image is still downloading: the turn waits for it instead of answering without it.
    await processDueReplies(at(1_000));
    expect(openai.state.requests.length).toBe(before);
    await runMediaOnce();
    // The wait put the turn off by a few seconds.
    expect(await processDueReplies(at(5_000))).toBe(1);
    expect(openai.state.requests.length).toBe(before + 1);
    const content = lastUserContent();
    expect(Array.isArray(content)).toBe(true);
    const image = content.find((p: any) => p.type === "image_url");
    expect(image.image_url.url).toBe(`data:image/png;base64,${Buffer.from(PNG).toString("base64")}`);
    expect(content.find((p: any) => p.type === "text").text).toContain("Quanto custa esta peça?");
    // The thread keeps the turn as text (what later turns and people read), with the placeholder.
    const [thread] = await db.select().from(threads).where(eq(threads.workflowId, workflow.id));
    const lines = await db.select().from(threadMessages).where(eq(threadMessages.threadId, thread!.id));
    expect(lines.find((l) => l.role === "user")!.content).toBe("[imagem: Quanto custa esta peça?]");
    expect((await botTexts(instance.id)).length).toBe(1);
  });

  test("without vision the image is a text placeholder with its caption; the bytes are not sent", async () => {
    const { instance } = await boundWorkflow();
    await contactSends(instance, "+5511990000002", "image", PNG, { mimeType: "image/png", caption: "foto do defeito" });
    await runMediaOnce();
    expect(await processDueReplies(at(2_000))).toBe(1);
    const content = lastUserContent();
    expect(content).toBe("[imagem: foto do defeito]");
    expect(JSON.stringify(openai.state.requests.at(-1))).not.toContain("image_url");
  });

  test("a voice note reaches the model as its stored transcript; one without a transcript says so", async () => {
    const { instance } = await boundWorkflow({ vision: true });
    const voice = await contactSends(instance, "+5511990000003", "audio", new TextEncoder().encode(`voice-${"x".repeat(64)}`), {
      mimeType: "audio/ogg; codecs=opus",
    });
    // The transcription feature stored its words (this organization has no transcription turned on, so nothing waits).
    await db.update(messages).set({ transcript: "quero dois cafés para amanhã" }).where(eq(messages.id, voice.id));
    await runMediaOnce();
    expect(await processDueReplies(at(2_000))).toBe(1);
    expect(lastUserContent()).toBe("quero dois cafés para amanhã");

    await contactSends(instance, "+5511990000003", "audio", new TextEncoder().encode(`voice2-${"y".repeat(64)}`), { mimeType: "audio/ogg" });
    await runMediaOnce();
    expect(await processDueReplies(at(4_000))).toBe(1);
    expect(lastUserContent()).toBe("[áudio sem transcrição]");
  });

  test("a TXT and a PDF document reach the model as their extracted text", async () => {
    const { instance } = await boundWorkflow();
    const txt = new TextEncoder().encode("Tabela de preços\nCafé expresso: R$ 6,50\nPão de queijo: R$ 4,00\n");
    await contactSends(instance, "+5511990000004", "document", txt, { mimeType: "text/plain", fileName: "tabela.txt" });
    await runMediaOnce();
    expect(await processDueReplies(at(2_000))).toBe(1);
    const first = lastUserContent() as string;
    expect(first).toContain("[documento: tabela.txt]");
    expect(first).toContain("Café expresso: R$ 6,50");

    await contactSends(instance, "+5511990000004", "document", PDF, { mimeType: "application/pdf", fileName: "precos.pdf", caption: "segue a lista" });
    await runMediaOnce();
    expect(await processDueReplies(at(4_000))).toBe(1);
    const second = lastUserContent() as string;
    expect(second).toContain("[documento: precos.pdf]");
    expect(second).toContain("segue a lista");
    // The PDF's own words, as the knowledge feature's extractor reads them (not the file name or caption).
    const { extractText } = await import("@/features/knowledge/extract");
    const words = (await extractText(PDF, "application/pdf", "precos.pdf"))
      .split(/\s+/)
      .filter((w) => w.length > 4)
      .slice(0, 3);
    expect(words.length).toBeGreaterThan(0);
    for (const w of words) expect(second).toContain(w);
  });
});

describe("waiting for a transcript is bounded", () => {
  test("a voice note still being transcribed holds the turn, up to two minutes; then it reads as without transcript", async () => {
    const { instance, org } = await boundWorkflow();
    const [owner] = await db.select({ userId: memberships.userId }).from(memberships).where(eq(memberships.organizationId, org));
    await enableTranscription(org, owner!.userId);
    const before = openai.state.requests.length;
    await contactSends(instance, "+5511990000006", "audio", new TextEncoder().encode(`voice3-${"z".repeat(64)}`), { mimeType: "audio/ogg" });
    await runMediaOnce();
    // The voice note itself is held for its words (the transcription feature); a text written after it makes a turn.
    await contactWrites(instance, "+5511990000006", "oi?");
    // The transcription is queued (no transcription worker runs here): the turn waits for its words…
    expect(await processDueReplies(at(30_000))).toBe(1);
    expect(openai.state.requests.length).toBe(before);
    // …but not for ever.
    expect(await processDueReplies(at(MEDIA_CONTEXT_LIMITS.transcriptWaitMs + 10_000))).toBe(1);
    expect(openai.state.requests.length).toBe(before + 1);
    expect(lastUserContent()).toBe("[áudio sem transcrição]\noi?");
  });
});

describe("vision on other vendors and on the workflow form", () => {
  test("an Anthropic vision workflow gets the image as a base64 image block", async () => {
    const allowPrivate = config.allowPrivateWebhookTargets;
    // The test's model server is on 127.0.0.1: a tenant endpoint passes the guard only with this.
    config.allowPrivateWebhookTargets = true;
    const claude = startAnthropic({ apiKey: "sk-ant-vision" });
    try {
      const { instance } = await boundWorkflow({ vendor: "anthropic", baseUrl: claude.baseUrl, apiKey: "sk-ant-vision", model: "claude-test", vision: true });
      await contactSends(instance, "+5511990000005", "image", PNG, { mimeType: "image/png", caption: "serve no meu carro?" });
      await runMediaOnce();
      expect(await processDueReplies(at(2_000))).toBe(1);
      const blocks = claude.state.requests.at(-1).messages.at(-1).content as any[];
      expect(blocks.find((b) => b.type === "image").source).toEqual({ type: "base64", media_type: "image/png", data: Buffer.from(PNG).toString("base64") });
      expect(blocks.find((b) => b.type === "text").text).toContain("serve no meu carro?");
    } finally {
      claude.stop();
      config.allowPrivateWebhookTargets = allowPrivate;
    }
  });

  test("the workflow form switches vision on and off", async () => {
    const app = createApp();
    const { user, organization } = await createOwner();
    const page = await signIn(app, user.id, organization.id);
    const created = await page.postForm("/workflows", { name: "Visão", provider: "openai", "config.model": "gpt-4o", "config.vision": "on" }, { htmx: true });
    expect(created.status).toBe(204);
    const id = created.headers.get("hx-redirect")!.split("/").at(-1)!;
    const read = async () => (await db.select().from(workflows).where(eq(workflows.id, id)))[0]!.config as Record<string, unknown>;
    expect((await read()).vision).toBe(true);
    expect(await (await page.get(`/workflows/${id}`)).text()).toMatch(/name="config.vision" value="on" checked/);
    // Unticked: the box is absent from the post, and vision goes off.
    const saved = await page.postForm(`/workflows/${id}`, { name: "Visão", provider: "openai", "config.model": "gpt-4o" }, { htmx: true });
    expect(saved.status).toBeLessThan(300);
    expect((await read()).vision).toBe(false);
  });
});
