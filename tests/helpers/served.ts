import type { App } from "@/app";

/**
 * The app listening on a real 127.0.0.1 socket, behind an `app.handle`-shaped function so TestClient
 * and api() reach it over HTTP. Needed wherever the client's address matters: clientIp() reads the
 * socket (and X-Forwarded-For only when the test trusts loopback through config.trustedProxies).
 */
export function served(app: App): App & { origin: string } {
  app.listen({ port: 0, hostname: "127.0.0.1" });
  const origin = `http://127.0.0.1:${app.server!.port}`;
  const handle = async (request: Request) => {
    const url = new URL(request.url);
    const body = request.body ? await request.arrayBuffer() : undefined;
    return fetch(`${origin}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body, redirect: "manual" });
  };
  return Object.assign(Object.create(app) as App, { handle, origin });
}
