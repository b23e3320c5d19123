/**
 * `bun tests/bench/http-client.ts [--n=2000]` — the outbound HTTP client's CPU per webhook request, in
 * this process (the app's side), against a server in a child process on 127.0.0.1:
 *   - bare `fetch` POSTs (keep-alive) as the floor, then with the Standard Webhooks headers signed per request,
 *   - signed POSTs through `fetchCheckedTarget`, the function delivery sends with (private targets
 *     allowed, as the bench's apps run: no address check, no pinning),
 *   - pinned https (what a public https endpoint gets: checked address, name as SNI and Host) with the
 *     guard's options, and with a `checkServerIdentity` callback as the guard had before (a new
 *     connection and TLS handshake per request), each with the number of connections the server saw.
 * Prints one line per variant; 8 requests in flight, like a busy endpoint.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import type { Subprocess } from "bun";
import { firstJsonLine } from "./lib";

Object.assign(process.env, {
  ALLOW_PRIVATE_WEBHOOK_TARGETS: "true",
  LOG_LEVEL: "error",
  APP_SECRET: process.env.APP_SECRET ?? "bench-secret-bench-secret-bench-secret",
  // sendAttempt's module opens the database client (no query runs): Postgres, not the embedded default.
  DATABASE_URL: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
});
const { fetchCheckedTarget, pinnedRequest } = await import("../../src/lib/outbound");
const { signatureHeaders, generateWebhookSecret } = await import("../../src/features/webhooks/signing");
const { config } = await import("../../src/config");
const { sendAttempt } = await import("../../src/features/webhooks/delivery.send");
const { encryptSecret } = await import("../../src/lib/crypto");

const N = Number(process.argv.find((a) => a.startsWith("--n="))?.slice(4) ?? 2000);
const IN_FLIGHT = 8;
const dir = mkdtempSync(join(tmpdir(), "lc-http-client-"));
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
const serverFile = join(dir, "server.ts");
await Bun.write(
  serverFile,
  `const answer = (req, srv) => new Response(String(srv.requestIP(req)?.port), { status: 200 });
const http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: answer });
const https = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: Bun.file(${JSON.stringify(join(dir, "cert.pem"))}), key: Bun.file(${JSON.stringify(join(dir, "key.pem"))}) }, fetch: answer });
console.log(JSON.stringify({ http: http.port, https: https.port }));
process.on("SIGTERM", () => process.exit(0));`,
);
const child = Bun.spawn([process.execPath, serverFile], { stdout: "pipe", stderr: "inherit" });
const ports = await firstJsonLine<{ http: number; https: number }>(child as Subprocess<"ignore", "pipe", "inherit">, 10_000);

const secret = generateWebhookSecret();
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const body = JSON.stringify({ type: "message.received", data: { message: { body: "x".repeat(400) } } });

async function measure(label: string, send: (i: number) => Promise<Response>) {
  for (let i = 0; i < 50; i++) await (await send(i)).text(); // warm: connections, JIT
  const connections = new Set<string>();
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < N) {
        const res = await send(next++);
        if (res.status !== 200) throw new Error(`${label}: status ${res.status}`);
        connections.add(await res.text());
      }
    }),
  );
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / N;
  console.log(
    `${label.padEnd(62)} ${us.toFixed(1).padStart(7)} µs CPU/request (client side)  ${((performance.now() - t0) / N).toFixed(3)} ms wall  ${connections.size} connection(s)`,
  );
  return us;
}

const httpUrl = `http://127.0.0.1:${ports.http}/hook`;
const signed = (i: number) => ({ "content-type": "application/json", ...signatureHeaders({ msgId: `evt_${i}`, body, secrets: [key] }) });
const bare = await measure("bare fetch POST (http, keep-alive)", () => fetch(httpUrl, { method: "POST", body }));
const bareSigned = await measure("bare fetch POST with the signed headers (signing included)", (i) =>
  fetch(httpUrl, { method: "POST", headers: signed(i), body }),
);
const guarded = await measure("signed POST through fetchCheckedTarget (http)", (i) =>
  fetchCheckedTarget(httpUrl, { method: "POST", headers: signed(i), body }),
);
// The cursor's whole request per event: payload, signing (secret decrypted once), the guard, timeout and excerpt.
const webhook = {
  id: "00000000-0000-4000-8000-000000000001",
  kind: "webhook" as const,
  url: httpUrl,
  configEnc: null,
  sinkOptions: null,
  headersEnc: {},
  secretEnc: encryptSecret(secret),
  previousSecretEnc: null,
  previousSecretExpiresAt: null,
};
const eventData = JSON.parse(body).data as Record<string, unknown>;
const attempt = async (i: number) => {
  const event = { id: `evt_${i}`, type: "message.received", data: eventData, at: new Date(), organizationId: null, instanceId: null };
  const r = await sendAttempt({ organizationId: "00000000-0000-4000-8000-000000000002", webhook, event } as never);
  if (r?.statusCode !== 200) throw new Error(`sendAttempt: ${r?.error ?? r?.statusCode}`);
  return new Response(r.excerpt ?? "");
};
const whole = await measure("sendAttempt: payload, signing, guard, timeout, excerpt (http)", attempt);
// A public name's request: pinned (with private targets allowed the guard would send it as it is).
config.allowPrivateWebhookTargets = false;
const target = { url: new URL(`https://hooks.test:${ports.https}/hook`), hostname: "hooks.test", addresses: [{ address: "127.0.0.1", family: 4 as const }] };
const pinnedFetch = (tls: Record<string, unknown>, i: number) => {
  const pinned = pinnedRequest(target);
  return fetch(pinned.url, {
    method: "POST",
    body,
    headers: { ...signed(i), host: pinned.host! },
    redirect: "manual",
    tls: { ...tls, ...pinned.tls, ca },
  } as RequestInit);
};
const pinned = await measure("signed POST, pinned https as the guard sends it", (i) => pinnedFetch({}, i));
const callback = await measure("signed POST, pinned https with a checkServerIdentity callback", (i) =>
  pinnedFetch({ checkServerIdentity: (_n: string, cert: PeerCertificate) => checkServerIdentity("hooks.test", cert) }, i),
);
console.log(
  `\nsigning ${(bareSigned - bare).toFixed(1)} µs; the guard over bare fetch with the same headers ${(guarded - bareSigned).toFixed(1)} µs (http); sendAttempt over the guarded POST ${(whole - guarded).toFixed(1)} µs; pinned https ${pinned.toFixed(1)} µs vs ${callback.toFixed(1)} µs with a per-request handshake`,
);
child.kill();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
