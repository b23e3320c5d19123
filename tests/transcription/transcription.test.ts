import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { conversations, events, messages, organizations, transcriptionSettings, transcriptions } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { createFlow, publishFlow, saveStep } from "@/features/flows/flow.service";
import { createTemplate } from "@/features/templates/template.service";
import { MEDIA_WAIT_MS, processDueTranscriptions, transcriptionHttp } from "@/features/transcription/transcription.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { mediaStore } from "@/features/media/media.store";
import { liveTopics } from "@/lib/live-topics";
import { subscribeLive } from "@/lib/live";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { startOpenAiServer } from "../workflows/ai-servers";
import { contactSendsVoiceNote, enableTranscription, mediaWorkerRuns, storageKeyOf } from "./helpers";
import { startTranscriptionServer } from "./transcribe-server";
import { systemCaller } from "@/lib/caller";

const whisper = startTranscriptionServer();
const chat = startOpenAiServer();
const dataDir = mkdtempSync(join(tmpdir(), "livchat-transcription-"));
const saved = { transcribe: { ...config.transcribe }, openai: { ...config.openai }, dataDir: config.dataDir };

beforeAll(() => {
  // The test servers play the operator's endpoints; the media store writes under a throwaway directory.
  config.transcribe = { baseUrl: whisper.baseUrl, apiKey: "sk-operator-transcribe", model: "whisper-1" };
  config.openai.baseUrl = chat.baseUrl;
  config.dataDir = dataDir;
});
afterAll(() => {
  config.transcribe = saved.transcribe;
  config.openai = saved.openai;
  config.dataDir = saved.dataDir;
  whisper.stop();
  chat.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const at = (ms: number) => new Date(Date.now() + ms);
const t = (input: Record<string, unknown>) => triggerSchema.parse(input);

async function orgWithTranscription(language: "pt-BR" | "en" = "pt-BR") {
  const { user, organization } = await createOwner();
  await db.update(organizations).set({ language }).where(eq(organizations.id, organization.id));
  await enableTranscription(organization.id, user.id);
  const instance = await connectedInstance(organization.id);
  return { user, org: organization.id, instance };
}

describe("voice transcription", () => {
  test("a stored voice note is sent to the endpoint as multipart and its transcript stored, evented and published", async () => {
    whisper.state.mode = "ok";
    whisper.state.reply = () => "Olá, quero a segunda via do boleto";
    const { org, instance } = await orgWithTranscription("pt-BR");
    const live: Record<string, unknown>[] = [];
    const unsubscribe = await subscribeLive(liveTopics.orgInbox(org), (data) => void live.push(data));

    const note = await contactSendsVoiceNote(instance, "+5511988880001");
    // Held until its audio is stored: nothing is sent before the media worker has the bytes.
    expect((await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id)))[0]!.status).toBe("waiting");
    expect(await processDueTranscriptions()).toBe(0);

    const bytes = note.bytes;
    await mediaWorkerRuns();
    const before = whisper.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);

    const request = whisper.state.requests[before]!;
    expect(request.authorization).toBe("Bearer sk-operator-transcribe");
    expect(request.model).toBe("whisper-1");
    expect(request.language).toBe("pt");
    expect(request.responseFormat).toBe("json");
    expect(request.fileName).toBe("audio.ogg");
    expect(request.fileType).toBe("audio/ogg");
    expect([...request.bytes]).toEqual([...bytes]);

    const [stored] = await db.select().from(messages).where(eq(messages.id, note.id));
    expect(stored!.transcript).toBe("Olá, quero a segunda via do boleto");
    // The voice note is the conversation's last message: the inbox list previews what was said.
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, note.conversationId));
    expect(conversation!.lastMessagePreview).toBe("[audio] Olá, quero a segunda via do boleto");
    const [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row).toMatchObject({ status: "completed", model: "whisper-1", language: "pt", error: null, attempts: 1 });

    const [event] = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, org), eq(events.type, "message.transcribed")));
    expect(event!.instanceId).toBe(instance.id);
    expect(event!.data).toMatchObject({
      message: {
        id: note.id,
        conversationId: note.conversationId,
        contactId: note.contactId,
        type: "audio",
        transcript: "Olá, quero a segunda via do boleto",
        language: "pt",
        model: "whisper-1",
      },
    });
    await waitFor(() => live.some((d) => d.messageId === note.id && d.status === "transcribed"), { what: "the inbox's live update" });
    unsubscribe();
    // Done once: nothing is due any more.
    expect(await processDueTranscriptions()).toBe(0);
  });

  test("end to end: an inline (base64) voice note is stored by the media worker, which hands it to transcription", async () => {
    whisper.state.mode = "ok";
    whisper.state.reply = () => "pode me ligar amanhã";
    const { org, instance } = await orgWithTranscription("pt-BR");
    const note = await contactSendsVoiceNote(instance, "+5511988880099");
    expect((await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id)))[0]!.status).toBe("waiting");

    await mediaWorkerRuns();
    expect((await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id)))[0]!.status).toBe("pending");
    const before = whisper.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);
    expect([...whisper.state.requests[before]!.bytes]).toEqual([...note.bytes]);
    const [stored] = await db.select().from(messages).where(eq(messages.id, note.id));
    expect(stored!.transcript).toBe("pode me ligar amanhã");
    expect(stored!.media).toMatchObject({ voice: true, status: "stored" });
    expect(
      await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, org), eq(events.type, "message.transcribed"))),
    ).toHaveLength(1);
  });

  test("an English organization sends no language hint; an organization without transcription sends nothing", async () => {
    whisper.state.mode = "ok";
    const en = await orgWithTranscription("en");
    await contactSendsVoiceNote(en.instance, "+5511988880002");
    await mediaWorkerRuns();
    const before = whisper.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);
    expect(whisper.state.requests[before]!.language).toBeNull();

    const { organization } = await createOwner();
    const off = await connectedInstance(organization.id);
    const other = await contactSendsVoiceNote(off, "+5511988880003");
    await mediaWorkerRuns();
    expect(await db.select().from(transcriptions).where(eq(transcriptions.messageId, other.id))).toEqual([]);
    expect(await processDueTranscriptions()).toBe(0);
    expect(whisper.state.requests.length).toBe(before + 1);
  });

  test("triggers match the transcript: the voice note is heard as its words", async () => {
    whisper.state.mode = "ok";
    whisper.state.reply = () => "Preciso do BOLETO deste mês";
    const { org, instance } = await orgWithTranscription();
    await createTemplate(systemCaller("test", org), { key: "boleto", body: "Segue a segunda via do boleto.", variants: [], variables: [], active: true });
    await createTrigger(systemCaller("test", org), t({ match: "contains", pattern: "boleto", action: "reply_template", templateKey: "boleto" }));

    await contactSendsVoiceNote(instance, "+5511988880010");
    // Held: the empty audio message fires nothing on arrival.
    expect(await botTexts(instance.id)).toEqual([]);
    await mediaWorkerRuns();
    await processDueTranscriptions();
    expect(await botTexts(instance.id)).toEqual(["Segue a segunda via do boleto."]);
  });

  test("a running flow takes the transcript as the contact's answer", async () => {
    whisper.state.mode = "ok";
    whisper.state.reply = () => "Ana Souza";
    const { org, instance } = await orgWithTranscription();
    const flow = await createFlow(systemCaller("test", org), { name: "Cadastro" });
    const step = (s: Record<string, unknown>) => flowStepSchema.parse(s);
    await saveStep(
      systemCaller("test", org),
      flow.id,
      step({ key: "ask", type: "collect_input", text: "Qual é o seu nome?", config: { variable: "nome" }, order: 0 }),
    );
    await saveStep(systemCaller("test", org), flow.id, step({ key: "thanks", type: "send_text", text: "Obrigado, {{nome}}!", order: 1 }));
    await publishFlow(systemCaller("test", org), flow.id);
    await createTrigger(systemCaller("test", org), t({ match: "equals", pattern: "cadastro", action: "start_flow", flowId: flow.id }));

    await contactWrites(instance, "+5511988880015", "cadastro");
    expect(await botTexts(instance.id)).toEqual(["Qual é o seu nome?"]);
    await contactSendsVoiceNote(instance, "+5511988880015");
    await mediaWorkerRuns();
    await processDueTranscriptions();
    expect(await botTexts(instance.id)).toEqual(["Qual é o seu nome?", "Obrigado, Ana Souza!"]);
  });

  test("a bound workflow answers the transcript, and its due turn waits for a voice note being transcribed", async () => {
    whisper.state.mode = "ok";
    whisper.state.reply = () => "qual o horário de vocês?";
    chat.state.mode = "ok";
    chat.state.reply = (msgs) => `Resposta para: ${msgs.at(-1)?.content}`;
    const { org, instance } = await orgWithTranscription();
    const workflow = await createWorkflow(systemCaller("test", org), {
      name: "Atendente",
      provider: "openai",
      config: { model: "gpt-test", debounceSeconds: 3 } as never,
    });
    await createTrigger(systemCaller("test", org), t({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }));

    await contactWrites(instance, "+5511988880020", "oi");
    await contactSendsVoiceNote(instance, "+5511988880020");
    // The turn for "oi" is due, but the voice note after it has no words yet: nothing is answered.
    expect(await processDueReplies(at(4_000))).toBe(1);
    expect(await botTexts(instance.id)).toEqual([]);

    await mediaWorkerRuns();
    await processDueTranscriptions();
    expect(await processDueReplies(at(8_000))).toBe(1);
    expect(await botTexts(instance.id)).toEqual(["Resposta para: oi\nqual o horário de vocês?"]);
    expect(chat.state.requests.at(-1).messages.at(-1)).toEqual({ role: "user", content: "oi\nqual o horário de vocês?" });
  });

  test("an endpoint that keeps failing is retried, then the failure is recorded and automation answers anyway", async () => {
    whisper.state.mode = "error";
    const { org, instance } = await orgWithTranscription();
    await createTemplate(systemCaller("test", org), { key: "any", body: "Recebemos sua mensagem.", variants: [], variables: [], active: true });
    await createTrigger(systemCaller("test", org), t({ match: "any", action: "reply_template", templateKey: "any" }));

    const note = await contactSendsVoiceNote(instance, "+5511988880030");
    await mediaWorkerRuns();
    const before = whisper.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);
    let [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row!.status).toBe("pending");
    expect(row!.error).toContain("HTTP 500");
    expect(await botTexts(instance.id)).toEqual([]);
    // Not due again before its backoff; then twice more.
    expect(await processDueTranscriptions(at(1_000))).toBe(0);
    expect(await processDueTranscriptions(at(15_000))).toBe(1);
    expect(await processDueTranscriptions(at(120_000))).toBe(1);
    expect(whisper.state.requests.length).toBe(before + 3);

    [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row).toMatchObject({ status: "failed", attempts: 3 });
    // Recorded in the organization's language (pt-BR), in our own words.
    expect(row!.error).toContain("O endpoint de transcrição falhou");
    expect(row!.error).not.toContain("overloaded");
    const [stored] = await db.select().from(messages).where(eq(messages.id, note.id));
    expect(stored!.transcript).toBeNull();
    expect(stored!.type).toBe("audio");
    // The message says why it has no words (the inbox and the API show it).
    expect(stored!.media).toMatchObject({ status: "stored", transcription: { status: "failed", error: row!.error } });
    expect(
      await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, org), eq(events.type, "message.transcribed"))),
    ).toEqual([]);
    // The customer is not left unanswered: automation ran on the empty body, as for any audio.
    expect(await botTexts(instance.id)).toEqual(["Recebemos sua mensagem."]);
    whisper.state.mode = "ok";
  });

  test("an endpoint that does not answer in time is retried", async () => {
    whisper.state.mode = "hang";
    transcriptionHttp.timeoutMs = 300;
    const { instance } = await orgWithTranscription("en");
    const note = await contactSendsVoiceNote(instance, "+5511988880035");
    await mediaWorkerRuns();
    expect(await processDueTranscriptions()).toBe(1);
    const [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row).toMatchObject({ status: "pending", attempts: 1, error: "The transcription endpoint failed: timed out after 0.3 s" });
    whisper.state.mode = "ok";
    transcriptionHttp.timeoutMs = 120_000;
    expect(await processDueTranscriptions(at(15_000))).toBe(1);
    expect((await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id)))[0]).toMatchObject({ status: "completed", attempts: 2 });
  });

  test("a refused key fails at once without retries", async () => {
    whisper.state.mode = "unauthorized";
    const { instance } = await orgWithTranscription("en");
    const note = await contactSendsVoiceNote(instance, "+5511988880040");
    await mediaWorkerRuns();
    expect(await processDueTranscriptions()).toBe(1);
    const [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row!.error).toBe("The transcription endpoint failed: answered HTTP 401 (the credentials were refused)");
    whisper.state.mode = "ok";
  });

  test("audio that cannot be read is retried like a passing failure, then settles", async () => {
    const { instance } = await orgWithTranscription("en");
    const note = await contactSendsVoiceNote(instance, "+5511988880045");
    await mediaWorkerRuns();
    await mediaStore().delete(await storageKeyOf(note.id));
    const before = whisper.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);
    expect((await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id)))[0]).toMatchObject({ status: "pending" });
    await processDueTranscriptions(at(15_000));
    await processDueTranscriptions(at(120_000));
    const [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row).toMatchObject({ status: "failed", attempts: 3, error: "Unexpected error while transcribing the audio" });
    expect(whisper.state.requests.length).toBe(before);
  });

  test("audio that never arrives, or whose download failed, settles the voice note without words", async () => {
    whisper.state.mode = "ok";
    const { org, instance } = await orgWithTranscription("en");
    await createTemplate(systemCaller("test", org), { key: "ack", body: "Got it.", variants: [], variables: [], active: true });
    await createTrigger(systemCaller("test", org), t({ match: "any", action: "reply_template", templateKey: "ack", cooldownSeconds: 0 }));

    // Its audio is behind a link the media worker has not fetched (it is not run here).
    const lost = await contactSendsVoiceNote(instance, "+5511988880050", { source: { kind: "url", url: "http://127.0.0.1:9/lost.ogg" } });
    expect(await processDueTranscriptions(at(MEDIA_WAIT_MS - 10_000))).toBe(0);
    expect((await db.select().from(transcriptions).where(eq(transcriptions.messageId, lost.id)))[0]!.status).toBe("waiting");
    await processDueTranscriptions(at(MEDIA_WAIT_MS + 10_000));
    const [expired] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, lost.id));
    expect(expired).toMatchObject({ status: "failed", error: "The audio did not arrive in time to be transcribed" });
    expect(await botTexts(instance.id)).toEqual(["Got it."]);

    // Its link answers 404: the media worker gives up and tells transcription.
    const broken = await contactSendsVoiceNote(instance, "+5511988880051", { source: { kind: "url", url: `${whisper.baseUrl}/missing.ogg` } });
    await mediaWorkerRuns();
    const [failed] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, broken.id));
    expect(failed).toMatchObject({ status: "failed", error: "The audio is not available for transcription" });
    expect((await botTexts(instance.id)).length).toBe(2);
  });

  test("the platform key never goes to an organization's own endpoint, even one saved without a key", async () => {
    const { org, instance } = await orgWithTranscription("en");
    // A row as an older version could have stored it: another base URL and no key of its own.
    await db.update(transcriptionSettings).set({ baseUrl: "http://127.0.0.1:9/v1", apiKeyEnc: null }).where(eq(transcriptionSettings.organizationId, org));
    const note = await contactSendsVoiceNote(instance, "+5511988880070");
    await mediaWorkerRuns();
    const before = whisper.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);
    const [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row).toMatchObject({ status: "failed", error: "The organization's transcription endpoint has no key of its own" });
    expect(whisper.state.requests.length).toBe(before);
  });

  test("turning transcription off before the audio is transcribed settles it as failed", async () => {
    const { user, org, instance } = await orgWithTranscription("en");
    const note = await contactSendsVoiceNote(instance, "+5511988880060");
    await enableTranscription(org, user.id, { enabled: "" });
    await mediaWorkerRuns();
    // Queued while it was on: it still settles, without a request to the endpoint.
    const before = whisper.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);
    const [row] = await db.select().from(transcriptions).where(eq(transcriptions.messageId, note.id));
    expect(row).toMatchObject({ status: "failed", error: "Transcription was turned off before the audio was transcribed" });
    expect(whisper.state.requests.length).toBe(before);
  });
});
