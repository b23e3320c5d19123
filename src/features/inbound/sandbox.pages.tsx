import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { SandboxPairPage } from "@views/sandbox/pair";
import { pairByLink, pairingLinkInstance } from "./sandbox.service";

const tokenParams = z.object({ token: z.string().max(200) });

/** `/sandbox/pair/:token`: the public link inside a sandbox QR code; anyone holding it may pair. */
export const sandboxPages = new Elysia({ name: "sandbox-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .get(
    "/sandbox/pair/:token",
    async ({ params, csrfToken, set }) => {
      const instance = await pairingLinkInstance(params.token);
      set.headers["content-type"] = "text/html; charset=utf-8";
      // The token is in the URL: never leak it to other sites (same-origin keeps the Origin header CSRF needs).
      set.headers["referrer-policy"] = "same-origin";
      return SandboxPairPage({ csrfToken, token: params.token, instanceName: instance.name, status: instance.status });
    },
    { params: tokenParams, detail: { hide: true } },
  )
  .post(
    "/sandbox/pair/:token",
    async ({ params, csrfToken, set }) => {
      const instance = await pairByLink(params.token);
      set.headers["content-type"] = "text/html; charset=utf-8";
      return SandboxPairPage({ csrfToken, token: params.token, instanceName: instance.name, status: instance.status, paired: true });
    },
    { params: tokenParams, detail: { hide: true } },
  );
