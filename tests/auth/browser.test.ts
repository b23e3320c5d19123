import { beforeAll, expect, test } from "bun:test";
import { useBrowser } from "../helpers/browser";
import { createOwner, uniqueEmail } from "../helpers/factories";

const { server, browser } = await useBrowser();

beforeAll(async () => {
  // Someone already runs this install: the sign-ups below are ordinary ones, not the platform admin's.
  await createOwner({ orgName: "Operator" });
});

test("a real browser signs up, signs out, fails and then succeeds to sign in, at phone and desktop widths", async () => {
  for (const viewport of [
    { width: 375, height: 740 },
    { width: 1440, height: 900 },
  ]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const email = uniqueEmail(`browser${viewport.width}`);
    const password = "correct horse battery staple";

    await page.goto(`${server.url}/signup`);
    // Nothing overflows sideways on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    if (process.env.AUTH_SCREENSHOTS) await page.screenshot({ path: `/tmp/auth-signup-${viewport.width}.png`, fullPage: true });
    await page.fill("input[name=name]", "Browser User");
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", "short");
    await page.fill("input[name=organizationName]", "Browser Org");
    await page.click("form[action^='/signup'] button[type=submit]");
    // Server-side validation re-renders the form with the values kept.
    await page.locator(".field.has-error small.error").first().waitFor();
    expect(await page.inputValue("input[name=email]")).toBe(email);
    expect(await page.inputValue("input[name=password]")).toBe("");
    if (process.env.AUTH_SCREENSHOTS) await page.screenshot({ path: `/tmp/auth-signup-422-${viewport.width}.png`, fullPage: true });

    await page.fill("input[name=password]", password);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/signup")), page.click("form[action^='/signup'] button[type=submit]")]);
    // Without SMTP the account is ready and the visitor signs in (the answer is the same for a taken address).
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.getByText("Thanks for signing up").waitFor();
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", password);
    await Promise.all([page.waitForURL((u) => u.pathname !== "/login"), page.click("form[action='/login'] button[type=submit]")]);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "lc_session")?.httpOnly).toBe(true);

    // Signed in: /login bounces to the dashboard.
    await page.goto(`${server.url}/login`);
    expect(new URL(page.url()).pathname).toBe("/");

    // A forged cross-site post cannot sign the user out (no CSRF token)…
    const forged = await context.request.post(`${server.url}/logout`, { maxRedirects: 0, headers: { origin: server.url } });
    expect(forged.status()).toBe(403);
    // …the admin shell's own "Sign out" button can.
    await Promise.all([page.waitForURL((u) => u.pathname === "/login"), page.click("form[action='/logout'] button[type=submit]")]);
    expect((await context.cookies()).some((c) => c.name === "lc_session")).toBe(false);
    expect(await page.getByText("You are signed out.").count()).toBe(1);

    await page.goto(`${server.url}/login`);
    if (process.env.AUTH_SCREENSHOTS) await page.screenshot({ path: `/tmp/auth-login-${viewport.width}.png`, fullPage: true });
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", "wrong password");
    await page.click("form[action='/login'] button[type=submit]");
    await page.getByText("Incorrect email or password.").waitFor();
    expect(await page.inputValue("input[name=email]")).toBe(email);

    await page.fill("input[name=password]", password);
    await Promise.all([page.waitForURL((u) => u.pathname !== "/login"), page.click("form[action='/login'] button[type=submit]")]);
    expect((await context.cookies()).some((c) => c.name === "lc_session")).toBe(true);
    await context.close();
  }
}, 60_000);
