import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { connectInstance } from "@/features/instances/instance.service";
import { systemCaller } from "@/lib/caller";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";

const { server, browser } = await useBrowser();

test("a phone opening the sandbox QR link pairs the instance with one tap, at phone and desktop widths", async () => {
  const { organization } = await createOwner();
  for (const viewport of [
    { width: 375, height: 740 },
    { width: 1440, height: 900 },
  ]) {
    const [instance] = await db
      .insert(instances)
      .values({ organizationId: organization.id, name: `Loja <b>${viewport.width}</b>`, provider: "sandbox" })
      .returning();
    const qrCode = (await connectInstance(systemCaller("sandbox test", organization.id), instance!.id)).qr?.code;
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${server.url}${new URL(qrCode!).pathname}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    // The instance name is shown as text, never as markup.
    expect(await page.locator("strong").first().textContent()).toBe(`Loja <b>${viewport.width}</b>`);
    await page.click("button[type=submit]");
    await page.getByText("is paired with this simulated phone").waitFor();
    const [row] = await db.select().from(instances).where(eq(instances.id, instance!.id));
    expect(row!.status).toBe("connected");
    await context.close();
  }
}, 30_000);
