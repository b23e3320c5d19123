import { expect, test } from "bun:test";
import { useBrowser } from "../helpers/browser";

const { server, browser } = await useBrowser();

test("/docs renders the API reference offline, under its CSP, from our own origin only", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const foreign: string[] = [];
  const problems: string[] = [];
  // Anything the page asks of another origin is refused here, as it would be on a machine without internet.
  await context.route("**/*", (route) => {
    if (new URL(route.request().url()).origin === server.url) return route.continue();
    foreign.push(route.request().url());
    return route.abort();
  });
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${server.url}/docs`);
  // Scalar has rendered the spec it fetched from /openapi.json: the title and the first tag's operation (later tags render when opened).
  await page.waitForFunction(
    () => document.body.textContent.includes("LivChat API") && document.body.textContent.includes("Describe the presented API key"),
    undefined,
    {
      timeout: 30_000,
    },
  );
  expect(foreign).toEqual([]);
  expect(problems).toEqual([]);
  await context.close();
}, 60_000);
