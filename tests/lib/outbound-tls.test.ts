// Pinned https (the guard connects to the checked address, the name travels as SNI and Host): the
// certificate is still verified against the name, and connections are kept alive per name.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinnedRequest } from "@/lib/outbound";

const dir = mkdtempSync(join(tmpdir(), "lc-tls-"));
const made = Bun.spawnSync(
  [
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
    "-days",
    "1",
    "-subj",
    "/CN=hooks.test",
    "-addext",
    "subjectAltName=DNS:hooks.test",
  ],
  { stderr: "pipe" },
);
if (made.exitCode !== 0) throw new Error(`openssl: ${made.stderr.toString()}`);
const ca = readFileSync(join(dir, "cert.pem"), "utf8");
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  tls: { cert: ca, key: readFileSync(join(dir, "key.pem"), "utf8") },
  // The client's port names the connection a request came on.
  fetch: (req, srv) => Response.json({ port: srv.requestIP(req)?.port, host: req.headers.get("host") }),
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** What `fetchCheckedTarget` sends for a pinned target, plus the test CA (the certificate is self-signed). */
async function send(name: string) {
  const pinned = pinnedRequest({
    url: new URL(`https://${name}:${server.port}/hook`),
    hostname: name,
    addresses: [{ address: "127.0.0.1", family: 4 }],
  });
  expect(pinned.url).toBe(`https://127.0.0.1:${server.port}/hook`);
  const res = await fetch(pinned.url, { method: "POST", body: "{}", headers: { host: pinned.host! }, tls: { ...pinned.tls, ca } } as RequestInit);
  return (await res.json()) as { port: number; host: string };
}

test("requests to one name share a kept-alive connection; the Host header carries the name", async () => {
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await send("hooks.test"));
  expect(new Set(answers.map((a) => a.port)).size).toBe(1);
  expect(answers[0]!.host).toBe(`hooks.test:${server.port}`);
});

test("the certificate is verified against the name: another name is refused, even with a connection open for the first", async () => {
  await send("hooks.test");
  await expect(send("evil.test")).rejects.toThrow();
  const again = await send("hooks.test");
  expect(again.host).toBe(`hooks.test:${server.port}`);
});
