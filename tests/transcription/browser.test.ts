import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { users } from "@/db/schema";
import { ingestInbound } from "@/features/inbound/inbound.service";
import "@/features/transcription/transcription.worker";
import "@/workers/media.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { connectedInstance } from "../automation/helpers";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { enableTranscription, voiceBytes } from "./helpers";
import { startTranscriptionServer } from "./transcribe-server";

const whisper = startTranscriptionServer();
const dataDir = mkdtempSync(join(tmpdir(), "livchat-transcription-browser-"));
const saved = { transcribe: { ...config.transcribe }, dataDir: config.dataDir };
config.transcribe = { baseUrl: whisper.baseUrl, apiKey: "sk-operator", model: "whisper-1" };
config.dataDir = dataDir;

const { server, newContext } = await useBrowser();
// The media and transcription workers, as a running process has them (tests start with WORKERS=false).
await startWorkers();
afterAll(async () => {
  await stopWorkers();
  whisper.stop();
  config.transcribe = saved.transcribe;
  config.dataDir = saved.dataDir;
  rmSync(dataDir, { recursive: true, force: true });
});

test("a contact's voice note: the open conversation shows its transcript live, labelled in Portuguese", async () => {
  const { user, organization } = await createOwner({ orgName: "Voz" });
  await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, user.id));
  await enableTranscription(organization.id, user.id);
  const instance = await connectedInstance(organization.id);
  whisper.state.reply = () => "Bom dia, <b>meu pedido</b> ainda não chegou";

  // The contact writes first, so the conversation is open in the inbox before the voice note arrives.
  const first = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `b-text-${Date.now()}`,
    from: "+5511955554444",
    type: "text",
    body: "Oi",
    timestamp: new Date(),
  });
  if (first.kind !== "message" || !first.conversation) throw new Error("not stored");
  const context = await newContext({ as: { userId: user.id, organizationId: organization.id } });
  const page = await context.newPage();
  await page.goto(`${server.url}/inbox/${first.conversation.id}`);
  await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });

  const voice = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `b-voice-${Date.now()}`,
    from: "+5511955554444",
    type: "audio",
    attachment: { source: { kind: "base64", data: Buffer.from(voiceBytes("browser")).toString("base64") }, mimeType: "audio/ogg; codecs=opus", voice: true },
    timestamp: new Date(),
  });
  if (voice.kind !== "message" || !voice.message) throw new Error("not stored");
  await voice.hooks;

  // Media worker stores the audio, the transcription worker transcribes it, the bubble is redrawn live.
  const transcript = page.locator(`#transcript-${voice.message.id}`);
  await transcript.waitFor({ timeout: 20_000 });
  expect(await transcript.textContent()).toContain("Transcrição");
  expect(await transcript.textContent()).toContain("Bom dia, <b>meu pedido</b> ainda não chegou");
  expect(await page.locator(`#transcript-${voice.message.id} b`).count()).toBe(0);
  await context.close();
});
