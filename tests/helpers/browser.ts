import { afterAll } from "bun:test";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { createApp } from "@/app";
import { createSession, SESSION_COOKIE } from "@/auth/session";

/** Headless Debian Chromium, flags as this machine needs them (no sandbox as root, no background network). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The real app on a random port of 127.0.0.1; `url` is what the browser opens. */
export function startServer() {
  const app = createApp().listen({ port: 0, hostname: "127.0.0.1" });
  const url = `http://127.0.0.1:${app.server!.port}`;
  return { app, url, stop: () => app.stop(true) };
}

/**
 * What a browser test file needs, started at the top of the file (`await useBrowser()`): the app on a
 * real port, one Chromium for the whole file, both closed after its tests, and browser contexts
 * already signed in. Files add their own afterAll for servers of their own.
 */
export async function useBrowser() {
  const server = startServer();
  const browser = await launchBrowser();
  afterAll(async () => {
    await browser.close();
    server.stop();
  });
  return {
    server,
    browser,
    /**
     * A fresh context (own cookies), signed in with a new session for `as` (user and active organization)
     * or with an existing session `token`; neither = a visitor.
     */
    async newContext(
      opts: { width?: number; height?: number; as?: { userId: string; organizationId: string | null }; token?: string } = {},
    ): Promise<BrowserContext> {
      const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 } });
      const token = opts.as ? (await createSession(opts.as.userId, { activeOrganizationId: opts.as.organizationId })).token : opts.token;
      if (token) await context.addCookies([{ name: SESSION_COOKIE, value: token, url: server.url, httpOnly: true, sameSite: "Lax" }]);
      return context;
    },
  };
}
