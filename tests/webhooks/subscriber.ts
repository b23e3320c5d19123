import { Webhook } from "standardwebhooks";
import { waitFor as waitForCondition } from "../helpers/wait";

export type Received = {
  id: string;
  body: string;
  payload: any;
  headers: Record<string, string>;
  /** The secrets (of `subscriber.secrets`) whose signature verified with the official library. */
  verifiedWith: string[];
  at: number;
};

type Handler = (req: Request, received: Received, count: number) => Response | Promise<Response>;

/**
 * A real webhook subscriber on 127.0.0.1: verifies every request with the official
 * `standardwebhooks` package (`new Webhook(secret).verify(body, headers)`) against each secret it
 * knows, records it, and answers with `handler` (default 204).
 */
export function startSubscriber(handler?: Handler) {
  const received: Received[] = [];
  const secrets: string[] = [];
  let handle: Handler | undefined = handler;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const body = await req.text();
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => (headers[k] = v));
      const verifiedWith: string[] = [];
      let payload: unknown = null;
      for (const secret of secrets) {
        try {
          payload = new Webhook(secret).verify(body, headers);
          verifiedWith.push(secret);
        } catch {}
      }
      const entry: Received = { id: headers["webhook-id"] ?? "", body, payload, headers, verifiedWith, at: Date.now() };
      received.push(entry);
      return handle ? handle(req, entry, received.length) : new Response(null, { status: 204 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hooks/livchat`,
    port: server.port,
    received,
    secrets,
    setHandler(h: Handler | undefined) {
      handle = h;
    },
    /** Requests whose signature verified with at least one known secret. */
    verified: () => received.filter((r) => r.verifiedWith.length > 0),
    stop: () => server.stop(true),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** helpers/wait's waitFor with the longer default cross-process outcomes need. */
export function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 15_000, label = "condition") {
  return waitForCondition(check, { timeoutMs, what: label });
}
