import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { media, messages, type Instance } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { signedMediaPath } from "@/lib/media-url";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { CLOUD, PNG, WUZAPI_TOKEN, cloudInstance, mediaRow, sha256, useTempDataDir, wuzapiInstance } from "./fixtures";

/**
 * `/v1/media` and sending uploads: a WuzAPI server (API.md: `/chat/send/*` behind the user's `Token`)
 * and a Graph API (`POST /{phone-number-id}/media` multipart, then `/messages` by media id), both real
 * local HTTP servers.
 */
type Sent = { path: string; body: any; form?: { type: string | null; product: string | null; file: Uint8Array | null; fileType: string | null } };
const sent: Sent[] = [];
let port = 0;
let providerIds = 0;
const providers = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/wuzapi/")) {
      if (req.headers.get("token") !== WUZAPI_TOKEN) return Response.json({ code: 401, error: "unauthorized", success: false }, { status: 401 });
      const body = await req.json();
      sent.push({ path: url.pathname.slice("/wuzapi".length), body });
      return Response.json({ code: 200, data: { Details: "Sent", Id: `3EB0${++providerIds}`, Timestamp: 1 }, success: true });
    }
    if (url.pathname.startsWith("/graph/")) {
      if (req.headers.get("authorization") !== `Bearer ${CLOUD.accessToken}`)
        return Response.json({ error: { message: "bad token", code: 190 } }, { status: 401 });
      if (url.pathname === `/graph/${CLOUD.phoneNumberId}/media`) {
        const form = await req.formData();
        const file = form.get("file");
        sent.push({
          path: "/media",
          body: null,
          form: {
            type: form.get("type") as string | null,
            product: form.get("messaging_product") as string | null,
            file: file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : null,
            fileType: file instanceof Blob ? file.type : null,
          },
        });
        return Response.json({ id: "1166846181421424" });
      }
      if (url.pathname === `/graph/${CLOUD.phoneNumberId}/messages`) {
        sent.push({ path: "/messages", body: await req.json() });
        return Response.json({ messaging_product: "whatsapp", messages: [{ id: `wamid.${++providerIds}` }] });
      }
    }
    if (url.pathname === "/files/sticker.webp") return new Response(PNG as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/webp" } });
    return new Response("not found", { status: 404 });
  },
});
port = providers.port!;

const app = createApp();
let a: Awaited<ReturnType<typeof setupOrg>>;
let b: Awaited<ReturnType<typeof setupOrg>>;
let wuz: Instance;
let cloud: Instance;

beforeAll(async () => {
  useTempDataDir();
  config.allowPrivateWebhookTargets = true;
  config.wuzapi.url = `http://127.0.0.1:${port}/wuzapi`;
  config.cloudApiBase = `http://127.0.0.1:${port}/graph`;
  a = await setupOrg(app);
  b = await setupOrg(app);
  wuz = await wuzapiInstance(a.organization.id);
  cloud = await cloudInstance(a.organization.id);
});
afterAll(() => providers.stop(true));

async function upload(key: string | undefined, file: Blob | null, name = "photo.png") {
  const form = new FormData();
  if (file) form.set("file", file, name);
  const headers: Record<string, string> = { "accept-language": "en" };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await app.handle(new Request("http://localhost/v1/media", { method: "POST", body: form, headers }));
  return { status: res.status, body: (await res.json()) as any };
}

const get = (path: string) => app.handle(new Request(`http://localhost${path}`, { headers: { "accept-language": "en" } }));

describe("POST /v1/media and GET /v1/media/:id", () => {
  test("an upload is stored, hashed and sniffed, and answered with a signed link", async () => {
    const res = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      direction: "upload",
      status: "stored",
      mimeType: "image/png",
      mimeMismatch: false,
      size: PNG.byteLength,
      sha256: sha256(PNG),
      fileName: "photo.png",
    });
    expect(res.body.url).toContain(`/media/${res.body.id}?exp=`);
    const got = await api(app, "GET", `/v1/media/${res.body.id}`, a.key);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: res.body.id, status: "stored" });
    const file = await get(new URL(got.body.url).pathname + new URL(got.body.url).search);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(PNG);
  });

  test("another organization's media, a malformed id and no key: 404, 404, 401", async () => {
    const mine = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    expect((await api(app, "GET", `/v1/media/${mine.body.id}`, b.key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/media/not-a-uuid", a.key)).status).toBe(404);
    expect((await api(app, "GET", `/v1/media/${mine.body.id}`)).status).toBe(401);
    expect((await upload(undefined, new Blob([PNG as Uint8Array<ArrayBuffer>]))).status).toBe(401);
  });

  test("a key bound to one instance reads its own instance's media and the organization's uploads, not another instance's", async () => {
    const { secret } = await createApiKey({ organizationId: a.organization.id, name: "bound", scopes: ["*"], instanceId: wuz.id });
    const bound = await upload(secret, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    expect(bound.status).toBe(201);
    expect((await mediaRow(bound.body.id)).instanceId).toBe(wuz.id);
    const orgWide = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    expect((await api(app, "GET", `/v1/media/${bound.body.id}`, secret)).status).toBe(200);
    expect((await api(app, "GET", `/v1/media/${orgWide.body.id}`, secret)).status).toBe(200);
    await db.update(media).set({ instanceId: cloud.id }).where(eq(media.id, orgWide.body.id));
    expect((await api(app, "GET", `/v1/media/${orgWide.body.id}`, secret)).status).toBe(404);
    const send = await api(app, "POST", "/v1/messages", secret, { to: "+5511999990001", type: "image", media: { id: orgWide.body.id } });
    expect(send.status).toBe(422);
    expect(send.body.error.details[0]).toMatchObject({ path: "media.id" });
  });

  test("no file, an empty file and a file above MEDIA_MAX_BYTES are 422 on `file`, in the caller's language", async () => {
    const none = await upload(a.key, null);
    expect(none.status).toBe(422);
    expect(none.body.error.details[0]).toMatchObject({ path: "file" });
    // JSON is read too, to say where the file goes.
    const json = await api(app, "POST", "/v1/media", a.key, { file: "aGVsbG8=" });
    expect(json.status).toBe(422);
    expect(json.body.error.details[0]).toMatchObject({ path: "file", message: "Send the file in the file field (multipart/form-data)" });
    const empty = await upload(a.key, new Blob([]));
    expect(empty.status).toBe(422);
    expect(empty.body.error.details[0].message).toBe("The file is empty");
    const max = config.media.maxBytes;
    config.media.maxBytes = 1024;
    try {
      const big = await upload(a.key, new Blob([new Uint8Array(5000)]));
      expect(big.status).toBe(422);
      expect(big.body.error.details[0]).toMatchObject({ path: "file", message: "The file is larger than the 1.0 KB limit" });
    } finally {
      config.media.maxBytes = max;
    }
  });

  test("signed links expire, and a signature is bound to its id", async () => {
    const up = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    const other = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    const fresh = signedMediaPath(up.body.id);
    expect((await get(fresh.path)).status).toBe(200);
    const stale = signedMediaPath(up.body.id, { now: new Date(Date.now() - 2 * 3600_000), ttlSeconds: 3600 });
    expect((await get(stale.path)).status).toBe(404);
    expect((await get(fresh.path.replace(up.body.id, other.body.id))).status).toBe(404);
    expect((await get(fresh.path.replace(/sig=.{4}/, "sig=AAAA"))).status).toBe(404);
    expect((await get(`/media/${up.body.id}`)).status).toBe(404);
  });

  test("a file that is not an image, audio or video is served as a download, never inline", async () => {
    const html = await upload(a.key, new Blob(["<script>alert(1)</script>"], { type: "text/html" }), "x.html");
    expect(html.status).toBe(201);
    const res = await get(signedMediaPath(html.body.id).path);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toStartWith("attachment;");
  });
});

describe("sending an upload with POST /v1/messages", () => {
  test("media needs a url or an id, not both; another organization's upload is 422 on media.id", async () => {
    const up = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    const both = await api(app, "POST", "/v1/messages", a.key, {
      instanceId: wuz.id,
      to: "+5511999990001",
      type: "image",
      media: { id: up.body.id, url: "https://example.com/a.png" },
    });
    expect(both.status).toBe(422);
    const neither = await api(app, "POST", "/v1/messages", a.key, { instanceId: wuz.id, to: "+5511999990001", type: "image", media: {} });
    expect(neither.status).toBe(422);
    const theirs = await upload(b.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    const foreign = await api(app, "POST", "/v1/messages", a.key, { instanceId: wuz.id, to: "+5511999990001", type: "image", media: { id: theirs.body.id } });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details[0]).toMatchObject({ path: "media.id", message: "No uploaded media with this id" });
  });

  test("WuzAPI gets the upload as a data URI", async () => {
    const up = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    const res = await api(app, "POST", "/v1/messages", a.key, {
      instanceId: wuz.id,
      to: "+5511999990001",
      type: "image",
      media: { id: up.body.id, caption: "olha" },
    });
    expect(res.status).toBe(202);
    const [row] = await db.select().from(messages).where(eq(messages.id, res.body.id));
    expect(row!.media).toMatchObject({ mediaId: up.body.id, caption: "olha", mimeType: "image/png" });
    // Message answers carry a fresh signed link to the file.
    const shown = await api(app, "GET", `/v1/messages/${res.body.id}`, a.key);
    expect(shown.body.media.url).toContain(`/media/${up.body.id}?exp=`);
    expect(Date.parse(shown.body.media.urlExpiresAt)).toBeGreaterThan(Date.now());
    sent.length = 0;
    await runOutboundOnce();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe("/chat/send/image");
    expect(sent[0]!.body).toMatchObject({ Phone: "5511999990001", Caption: "olha", Image: `data:image/png;base64,${Buffer.from(PNG).toString("base64")}` });
    expect((await db.select().from(messages).where(eq(messages.id, res.body.id)))[0]!.status).toBe("sent");
  });

  test("WuzAPI stickers given by URL are fetched and sent as data URIs (its API refuses URLs)", async () => {
    const res = await api(app, "POST", "/v1/messages", a.key, {
      instanceId: wuz.id,
      to: "+5511999990001",
      type: "sticker",
      media: { url: `http://127.0.0.1:${port}/files/sticker.webp` },
    });
    expect(res.status).toBe(202);
    sent.length = 0;
    await runOutboundOnce();
    expect(sent[0]!.path).toBe("/chat/send/sticker");
    expect(sent[0]!.body.Sticker).toBe(`data:image/webp;base64,${Buffer.from(PNG).toString("base64")}`);
  });

  test("the Cloud API gets the upload through POST /{phone-number-id}/media and the message by media id", async () => {
    // The contact wrote first: a free-form send through the Cloud API needs the 24-hour customer-service window open.
    await ingestInbound(cloud, {
      kind: "message",
      providerMessageId: "wamid.window-open",
      from: "+5511999990002",
      sender: { phone: "+5511999990002" },
      type: "text",
      body: "oi",
      timestamp: new Date(),
    });
    const up = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }), "scan.png");
    const res = await api(app, "POST", "/v1/messages", a.key, { instanceId: cloud.id, to: "+5511999990002", type: "document", media: { id: up.body.id } });
    expect(res.status).toBe(202);
    sent.length = 0;
    await runOutboundOnce();
    expect(sent.map((s) => s.path)).toEqual(["/media", "/messages"]);
    expect(sent[0]!.form).toMatchObject({ type: "image/png", product: "whatsapp", fileType: "image/png" });
    expect(sent[0]!.form!.file).toEqual(PNG);
    expect(sent[1]!.body).toMatchObject({ type: "document", document: { id: "1166846181421424", filename: "scan.png" } });
    expect(sent[1]!.body.document.link).toBeUndefined();
  });

  test("an upload that expired before its send fails the message for good", async () => {
    const up = await upload(a.key, new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    const res = await api(app, "POST", "/v1/messages", a.key, { instanceId: wuz.id, to: "+5511999990001", type: "image", media: { id: up.body.id } });
    await db.update(media).set({ status: "expired", storageKey: null }).where(eq(media.id, up.body.id));
    await runOutboundOnce();
    const [row] = await db.select().from(messages).where(eq(messages.id, res.body.id));
    expect(row!.status).toBe("failed");
    expect(row!.error).toContain("não está mais disponível"); // the organization's language (pt-BR)
    expect((await mediaRow(up.body.id)).status).toBe("expired");
  });
});
