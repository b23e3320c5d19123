/**
 * Three webhook subscribers for the bench, in their own process so their work does not distort the
 * load generator's clock: each is a Bun.serve on 127.0.0.1 that verifies every request with the
 * official `standardwebhooks` library and records what arrived. A control server (first line on
 * stdout: {"control": port, "hooks": [ports]}) takes the secrets and hands out the records.
 *
 * Loss and duplicates are counted per endpoint: `webhook-id` (the event id, stable across retries)
 * seen twice is a duplicate; e2e messages carry their sequence number in the message body.
 */
import { Webhook } from "standardwebhooks";
import { wallMs } from "./lib";

type Endpoint = {
  verifier: Webhook | null;
  received: number;
  invalid: number;
  duplicates: number;
  ids: Set<string>;
  /** [sequence, wall-clock ms at arrival] of e2e messages. */
  e2e: [number, number][];
};

const ENDPOINTS = 3;
const endpoints: Endpoint[] = Array.from({ length: ENDPOINTS }, () => fresh(null));

function fresh(verifier: Webhook | null): Endpoint {
  return { verifier, received: 0, invalid: 0, duplicates: 0, ids: new Set(), e2e: [] };
}

const E2E = /^bench e2e (\d+)$/;

function subscriber(index: number) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const at = wallMs();
      const body = await request.text();
      const ep = endpoints[index]!;
      const headers = {
        "webhook-id": request.headers.get("webhook-id") ?? "",
        "webhook-timestamp": request.headers.get("webhook-timestamp") ?? "",
        "webhook-signature": request.headers.get("webhook-signature") ?? "",
      };
      let payload: { data?: { message?: { body?: string } } };
      try {
        if (!ep.verifier) throw new Error("no secret configured");
        payload = ep.verifier.verify(body, headers) as typeof payload;
      } catch {
        ep.invalid++;
        return new Response("invalid signature", { status: 400 });
      }
      ep.received++;
      if (ep.ids.has(headers["webhook-id"])) ep.duplicates++;
      else ep.ids.add(headers["webhook-id"]);
      const match = E2E.exec(payload.data?.message?.body ?? "");
      if (match) ep.e2e.push([Number(match[1]), at]);
      return new Response(null, { status: 204 });
    },
  });
}

const hooks = Array.from({ length: ENDPOINTS }, (_, i) => subscriber(i));

const control = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/secrets") {
      const secrets = (await request.json()) as string[];
      secrets.forEach((s, i) => (endpoints[i] = fresh(new Webhook(s))));
      return Response.json({ ok: true });
    }
    if (request.method === "POST" && url.pathname === "/reset") {
      endpoints.forEach((ep, i) => (endpoints[i] = fresh(ep.verifier)));
      return Response.json({ ok: true });
    }
    if (url.pathname === "/stats") {
      return Response.json(
        endpoints.map((ep) => ({
          received: ep.received,
          invalid: ep.invalid,
          duplicates: ep.duplicates,
          unique: ep.ids.size,
          e2e: url.searchParams.has("e2e") ? ep.e2e : undefined,
        })),
      );
    }
    if (url.pathname === "/echo") return new Response(null, { status: 204 });
    return new Response("not found", { status: 404 });
  },
});

console.log(JSON.stringify({ control: control.port, hooks: hooks.map((h) => h.port) }));
process.on("SIGTERM", () => process.exit(0));
