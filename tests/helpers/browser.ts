import { chromium, type Browser } from "playwright-core";
import { createApp } from "@/app";

/** Headless Debian Chromium, flags as this machine needs them (no sandbox as root, no background network). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** The real app on a random port of 127.0.0.1; `url` is what the browser opens. */
export function startServer() {
  const app = createApp().listen({ port: 0, hostname: "127.0.0.1" });
  const url = `http://127.0.0.1:${app.server!.port}`;
  return { app, url, stop: () => app.stop(true) };
}
