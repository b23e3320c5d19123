import { afterAll, expect, test } from "bun:test";
import { config } from "@/config";
import { ingestInbound } from "@/features/inbound/inbound.service";
import "@/workers/media.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { useBrowser } from "../helpers/browser";
import { setupOrg } from "../helpers/factories";
import { PNG, useTempDataDir, wuzapiInstance } from "./fixtures";

/** Half a second of a 440 Hz tone as 8 kHz 16-bit mono WAV: audio Chromium decodes and plays. */
function wavTone(): Uint8Array {
  const rate = 8000;
  const samples = rate / 2;
  const buffer = Buffer.alloc(44 + samples * 2);
  buffer.write("RIFF", 0);
  buffer.writeUInt32LE(36 + samples * 2, 4);
  buffer.write("WAVEfmt ", 8);
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(rate, 24);
  buffer.writeUInt32LE(rate * 2, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write("data", 36);
  buffer.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) buffer.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), 44 + i * 2);
  return new Uint8Array(buffer);
}

useTempDataDir();
config.allowPrivateWebhookTargets = true;
const { server, newContext, browser } = await useBrowser();
// The media worker, as a running process has it (tests start with WORKERS=false).
await startWorkers();
afterAll(async () => {
  await stopWorkers();
});

test("a contact sends a photo and a voice note: the open conversation shows the thumbnail and plays the audio, live", async () => {
  const org = await setupOrg(server.app);
  const instance = await wuzapiInstance(org.organization.id);
  const first = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `br-text-${Date.now()}`,
    from: "+5511944443333",
    type: "text",
    body: "Oi",
    timestamp: new Date(),
  });
  if (first.kind !== "message" || !first.conversation) throw new Error("not stored");
  const context = await newContext({ as: { userId: org.user.id, organizationId: org.organization.id } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${server.url}/inbox/${first.conversation.id}`);
  await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });

  const photo = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `br-photo-${Date.now()}`,
    from: "+5511944443333",
    type: "image",
    attachment: { source: { kind: "base64", data: Buffer.from(PNG).toString("base64") }, mimeType: "image/png", caption: "o produto" },
    timestamp: new Date(),
  });
  const voice = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `br-voice-${Date.now()}`,
    from: "+5511944443333",
    type: "audio",
    attachment: { source: { kind: "base64", data: Buffer.from(wavTone()).toString("base64") }, mimeType: "audio/wav", voice: true },
    timestamp: new Date(),
  });
  if (photo.kind !== "message" || !photo.message || voice.kind !== "message" || !voice.message) throw new Error("not stored");

  // The worker stores both; the bubbles are redrawn live with the signed same-origin links.
  const img = page.locator(`#msg-${photo.message.id} img.thumb`);
  await img.waitFor({ state: "attached", timeout: 20_000 });
  await page.waitForFunction((id) => (document.querySelector(`#msg-${id} img.thumb`) as HTMLImageElement | null)?.naturalWidth === 1, photo.message.id, {
    timeout: 10_000,
  });
  expect(await img.getAttribute("alt")).toBe("o produto");

  const audio = page.locator(`#msg-${voice.message.id} audio`);
  await audio.waitFor({ state: "attached", timeout: 20_000 });
  const played = await audio.evaluate(async (el: HTMLAudioElement) => {
    el.muted = true;
    await el.play();
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { duration: el.duration, time: el.currentTime };
  });
  expect(played.duration).toBeCloseTo(0.5, 1);
  expect(played.time).toBeGreaterThan(0);
  expect(await page.locator(`#msg-${voice.message.id} figcaption`).textContent()).toContain("🎤");
  expect(violations).toEqual([]);
  await context.close();
  expect(browser.isConnected()).toBe(true);
}, 60_000);
