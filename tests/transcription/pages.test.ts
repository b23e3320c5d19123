import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, transcriptionSettings, users } from "@/db/schema";
import { processDueTranscriptions } from "@/features/transcription/transcription.service";
import { decryptSecret } from "@/lib/crypto";
import { connectedInstance } from "../automation/helpers";
import { api, TestClient } from "../helpers/client";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createMember, createOwner, signIn } from "../helpers/factories";
import { contactSendsVoiceNote, enableTranscription, mediaWorkerRuns } from "./helpers";
import { startTranscriptionServer } from "./transcribe-server";

const app = createApp();
const operatorServer = startTranscriptionServer();
const orgServer = startTranscriptionServer({ apiKey: "sk-org-own-key-1234" });
const dataDir = mkdtempSync(join(tmpdir(), "livchat-transcription-pages-"));
const saved = { transcribe: { ...config.transcribe }, dataDir: config.dataDir, allowPrivate: config.allowPrivateWebhookTargets };

beforeAll(() => {
  config.transcribe = { baseUrl: operatorServer.baseUrl, apiKey: "sk-operator-secret", model: "whisper-1" };
  config.dataDir = dataDir;
});
afterAll(() => {
  config.transcribe = saved.transcribe;
  config.dataDir = saved.dataDir;
  config.allowPrivateWebhookTargets = saved.allowPrivate;
  operatorServer.stop();
  orgServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function owner(language: "en" | "pt-BR" = "en") {
  const { user, organization } = await createOwner();
  await db.update(users).set({ language }).where(eq(users.id, user.id));
  return { user, organization, client: await signIn(app, user.id, organization.id) };
}

async function settingsRow(organizationId: string) {
  const [row] = await db.select().from(transcriptionSettings).where(eq(transcriptionSettings.organizationId, organizationId));
  return row;
}

describe("transcription settings page", () => {
  test("the card shows the platform defaults; saving turns it on, audited", async () => {
    const { client, organization, user } = await owner();
    const page = await (await client.get("/settings")).text();
    expect(page).toContain("<h2>Voice transcription</h2>");
    expect(page).toContain('action="/settings/transcription"');
    expect(page).toContain(`endpoint (${operatorServer.baseUrl}). Any other endpoint needs its own key.`);
    expect(page).toContain("No key saved.");
    expect(page).toContain("endpoint has a key set by the operator.");
    expect(page).not.toContain("sk-operator-secret");
    expect(page).not.toContain("the endpoint is called without one");
    config.transcribe.apiKey = undefined;
    expect(await (await client.get("/settings")).text()).toContain("the endpoint is called without one");
    config.transcribe.apiKey = "sk-operator-secret";

    const res = await client.postForm("/settings/transcription", { enabled: "on", baseUrl: "", apiKey: "", model: "" });
    expect(res.status).toBe(303);
    expect(await settingsRow(organization.id)).toMatchObject({ enabled: true, baseUrl: null, apiKeyEnc: null, model: null });
    const after = await (await client.get("/settings")).text();
    expect(after).toContain("Transcription settings saved");
    expect(after).toMatch(/name="enabled" value="on" checked/);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "organization.transcription_changed")));
    expect(audit).toMatchObject({ actorId: user.id, details: { enabled: true, baseUrl: null, model: null, apiKey: "none" } });
  });

  test("an endpoint of the organization's own needs its own key; refusals are 422 on the field, in Portuguese", async () => {
    const { client, organization } = await owner("pt-BR");
    config.allowPrivateWebhookTargets = true;
    const noKey = await client.postForm("/settings/transcription", { enabled: "on", baseUrl: orgServer.baseUrl, apiKey: "", model: "" });
    expect(noKey.status).toBe(422);
    const html = await noKey.text();
    expect(html).toContain('id="f-apiKey-error"');
    expect(html).toContain("Um endpoint próprio precisa de uma chave de API própria");
    // What was typed stays in the form.
    expect(html).toContain(`value="${orgServer.baseUrl}"`);

    const badUrl = await client.postForm("/settings/transcription", { enabled: "on", baseUrl: "ftp://files.example.com", apiKey: "k" });
    expect(badUrl.status).toBe(422);
    const badHtml = await badUrl.text();
    expect(badHtml).toContain('id="f-baseUrl-error"');
    expect(badHtml).toContain("Informe uma URL http ou https válida");

    config.allowPrivateWebhookTargets = false;
    const privateUrl = await client.postForm("/settings/transcription", { enabled: "on", baseUrl: "http://10.1.2.3/v1", apiKey: "k" });
    expect(privateUrl.status).toBe(422);
    expect(await privateUrl.text()).toContain("Esta URL não é permitida");
    expect(await settingsRow(organization.id)).toBeUndefined();
  });

  test("the organization's key is stored encrypted, never shown, sent only to its own endpoint, and dropped when the URL moves", async () => {
    const { client, organization, user } = await owner();
    config.allowPrivateWebhookTargets = true;
    const key = "sk-org-own-key-1234";
    const res = await client.postForm("/settings/transcription", { enabled: "on", baseUrl: orgServer.baseUrl, apiKey: key, model: "whisper-large-v3" });
    expect(res.status).toBe(303);
    const row = await settingsRow(organization.id);
    expect(row!.apiKeyEnc).not.toContain(key);
    expect(decryptSecret(row!.apiKeyEnc!)).toBe(key);
    const page = await (await client.get("/settings")).text();
    expect(page).toContain("A key is saved (not shown).");
    expect(page).not.toContain(key);
    expect(page).toContain('name="removeApiKey"');
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "organization.transcription_changed")));
    expect(JSON.stringify(audit!.details)).not.toContain(key);

    // A voice note goes to the organization's endpoint with its key and model, never the operator's key.
    const instance = await connectedInstance(organization.id);
    await contactSendsVoiceNote(instance, "+5511977770001", { mimeType: "audio/mpeg" });
    await mediaWorkerRuns();
    const before = orgServer.state.requests.length;
    const operatorBefore = operatorServer.state.requests.length;
    expect(await processDueTranscriptions()).toBe(1);
    expect(orgServer.state.requests.length).toBe(before + 1);
    expect(orgServer.state.requests.at(-1)).toMatchObject({ authorization: `Bearer ${key}`, model: "whisper-large-v3", fileName: "audio.mp3" });
    expect(operatorServer.state.requests.length).toBe(operatorBefore);

    // Saving again with the key field empty keeps the key.
    expect((await client.postForm("/settings/transcription", { enabled: "on", baseUrl: `${orgServer.baseUrl}/`, apiKey: "" })).status).toBe(303);
    expect(decryptSecret((await settingsRow(organization.id))!.apiKeyEnc!)).toBe(key);
    // Another URL without a new key: the old key is not carried there.
    const moved = await client.postForm("/settings/transcription", { enabled: "on", baseUrl: "http://127.0.0.1:9/v1", apiKey: "" });
    expect(moved.status).toBe(422);
    expect(await moved.text()).toContain("The saved key belonged to the previous URL and was dropped");
    // Removing the key of its own endpoint is refused; moving back to the platform's endpoint drops it.
    const removed = await client.postForm("/settings/transcription", { enabled: "on", baseUrl: orgServer.baseUrl, removeApiKey: "on" });
    expect(removed.status).toBe(422);
    expect(await removed.text()).toContain("An endpoint of your own needs its own API key");
    await enableTranscription(organization.id, user.id, { baseUrl: "" });
    expect((await settingsRow(organization.id))!.apiKeyEnc).toBeNull();
  });

  test("agents read the setting but cannot change it; signed-out posts are refused", async () => {
    const { organization } = await createOwner();
    const agent = await createMember(organization.id, "agent");
    const client = await signIn(app, agent.id, organization.id);
    const html = await (await client.get("/settings")).text();
    expect(html).toContain("Transcription is off.");
    expect(html).not.toContain('action="/settings/transcription"');
    expect((await client.postForm("/settings/transcription", { enabled: "on" })).status).toBe(403);
    expect(await settingsRow(organization.id)).toBeUndefined();

    const anonymous = new TestClient(app);
    const res = await anonymous.postForm("/settings/transcription", { enabled: "on" });
    expect([302, 303, 401, 403]).toContain(res.status);
    expect(await settingsRow(organization.id)).toBeUndefined();
  });
});

describe("the transcript in the inbox", () => {
  test("a failed transcription shows as unavailable, its reason on hover", async () => {
    const { client, organization, user } = await owner("en");
    await enableTranscription(organization.id, user.id);
    operatorServer.state.mode = "unauthorized";
    const instance = await connectedInstance(organization.id);
    const note = await contactSendsVoiceNote(instance, "+5511977770020");
    await mediaWorkerRuns();
    expect(await processDueTranscriptions()).toBe(1);
    operatorServer.state.mode = "ok";
    const html = await (await client.get(`/inbox/${note.conversationId}`)).text();
    expect(html).toContain(`id="transcript-${note.id}"`);
    expect(html).toContain("Transcript unavailable");
    // The reason was recorded in the organization's language (pt-BR here), as automation and logs read it.
    expect(html).toContain('title="O endpoint de transcrição falhou: answered HTTP 401 (the credentials were refused)"');
    // Under the audio player.
    expect(html.indexOf("<audio")).toBeLessThan(html.indexOf(`id="transcript-${note.id}"`));
  });

  test("shown under the audio, escaped, labelled in the reader's language", async () => {
    const { client, organization, user } = await owner("pt-BR");
    await enableTranscription(organization.id, user.id);
    operatorServer.state.reply = () => `<img src=x onerror=alert(1)> quero falar com um atendente`;
    const instance = await connectedInstance(organization.id);
    const note = await contactSendsVoiceNote(instance, "+5511977770010");
    const waiting = await (await client.get(`/inbox/${note.conversationId}`)).text();
    expect(waiting).toContain(`id="msg-${note.id}"`);
    expect(waiting).not.toContain(`id="transcript-${note.id}"`);

    await mediaWorkerRuns();
    expect(await processDueTranscriptions()).toBe(1);
    const html = await (await client.get(`/inbox/${note.conversationId}`)).text();
    expect(html).toContain(`id="transcript-${note.id}"`);
    expect(html).toContain("Transcrição");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt; quero falar com um atendente");
    expect(html).not.toContain("<img src=x");

    // The API shows it on the message too.
    const { secret } = await createApiKey({ organizationId: organization.id, name: "t", scopes: ["messages:read"] });
    const viaApi = await api(app, "GET", `/v1/messages/${note.id}`, secret);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.transcript).toBe("<img src=x onerror=alert(1)> quero falar com um atendente");

    const agent = await createMember(organization.id, "agent");
    await db.update(users).set({ language: "en" }).where(eq(users.id, agent.id));
    const en = await signIn(app, agent.id, organization.id);
    expect(await (await en.get(`/inbox/${note.conversationId}`)).text()).toContain(">Transcript<");
  });
});
