import { afterAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { createApp } from "@/app";
import { config } from "@/config";
import { setupOrg } from "../helpers/factories";

const app = createApp();
const CHUNK = 64 * 1024;

/**
 * A chunked body (no Content-Length) of `total` bytes of JSON produced on demand, counting how many
 * bytes the server actually pulled: a capped reader stops pulling soon after the limit.
 */
function jsonStream(total: number) {
  const pulled = { bytes: 0 };
  const head = new TextEncoder().encode('{"to":"+5511999990001","type":"text","text":"');
  const filler = new TextEncoder().encode("x".repeat(CHUNK));
  const tail = new TextEncoder().encode('"}');
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = sent === 0 ? head : sent + CHUNK >= total ? tail : filler;
      sent += chunk.byteLength;
      pulled.bytes += chunk.byteLength;
      controller.enqueue(chunk);
      if (chunk === tail) controller.close();
    },
  });
  return { stream, pulled };
}

function chunkedRequest(path: string, body: ReadableStream<Uint8Array>, headers: Record<string, string>) {
  return new Request(`http://localhost${path}`, { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("request bodies without Content-Length are capped while they stream", () => {
  test("a chunked JSON body past MAX_BODY_BYTES is 413 before it is read whole", async () => {
    const { key } = await setupOrg(app);
    const { stream, pulled } = jsonStream(config.maxBodyBytes * 8);
    const req = chunkedRequest("/v1/messages", stream, { authorization: `Bearer ${key}`, "content-type": "application/json" });
    expect(req.headers.get("content-length")).toBeNull();
    const res = await app.handle(req);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("payload_too_large");
    // The reader stopped at the limit (plus the chunk that crossed it), not at 8× the limit.
    expect(pulled.bytes).toBeLessThanOrEqual(config.maxBodyBytes + 3 * CHUNK);
  });

  test("a chunked admin form past the limit is 413 too; small chunked bodies still parse", async () => {
    const { client, key } = await setupOrg(app);
    const big = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`name=${"x".repeat(config.maxBodyBytes + 10)}`));
        controller.close();
      },
    });
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const form = await app.handle(
      chunkedRequest("/flows", big, { cookie, "x-csrf-token": client.csrfToken(), "content-type": "application/x-www-form-urlencoded" }),
    );
    expect(form.status).toBe(413);

    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"match":"contains",'));
        controller.enqueue(new TextEncoder().encode('"pattern":"menu","action":"reply_template"}'));
        controller.close();
      },
    });
    const res = await app.handle(chunkedRequest("/v1/triggers", small, { authorization: `Bearer ${key}`, "content-type": "application/json" }));
    // Parsed and validated as usual: the only complaint is the missing template.
    expect(res.status).toBe(422);
    expect((await res.json()).error.details.map((d: { path: string }) => d.path)).toEqual(["templateKey"]);
  });

  describe("on a real port", () => {
    const server = createApp().listen({ port: 0, hostname: "127.0.0.1" });
    afterAll(() => server.stop(true));

    test("raw Transfer-Encoding: chunked past the limit answers 413 while the client is still sending", async () => {
      const port = server.server!.port!;
      const socket = connect(port, "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      let response = "";
      const answered = new Promise<string>((resolve) => {
        socket.on("data", (d) => {
          response += d.toString();
          if (response.includes("\r\n\r\n")) resolve(response);
        });
        socket.on("close", () => resolve(response));
        socket.on("error", () => resolve(response));
      });
      socket.write(
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer lc_live_nope\r\n\r\n",
      );
      const chunk = "x".repeat(CHUNK);
      let sent = 0;
      // Keep sending until the server answers; it must not wait for 8× the limit.
      while (!response && sent < config.maxBodyBytes * 8 && !socket.destroyed) {
        socket.write(`${CHUNK.toString(16)}\r\n${chunk}\r\n`);
        sent += CHUNK;
        // Yield to I/O (not a timed wait) so the server's answer can arrive between chunks.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const head = await answered;
      socket.destroy();
      expect(head).toStartWith("HTTP/1.1 413");
      expect(sent).toBeLessThan(config.maxBodyBytes * 8);
    });
  });
});
