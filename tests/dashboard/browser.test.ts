import { describe, expect, test } from "bun:test";
import type { BrowserContext } from "playwright-core";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { auditLogs, memberships } from "@/db/schema";
import { createInvitation } from "@/features/members/invitation.service";
import { createOrganization } from "@/features/organizations/organization.service";
import { useBrowser } from "../helpers/browser";
import { createMember, createOwner, memberCaller } from "../helpers/factories";

const { server, newContext } = await useBrowser();

const contextFor = (userId: string, organizationId: string | null, width: number): Promise<BrowserContext> =>
  newContext({ width, as: { userId, organizationId } });

describe("organization pages in a real browser", () => {
  test("every page fits 375 px and 1440 px without sideways scrolling", async () => {
    const { user, organization } = await createOwner({ orgName: "A rather long organization name for narrow screens" });
    await createMember(organization.id, "agent");
    await db.insert(auditLogs).values(
      Array.from({ length: 60 }, (_, i) => ({
        organizationId: organization.id,
        actorType: "user" as const,
        actorId: user.id,
        action: "member.role_changed",
        targetType: "membership",
        targetId: crypto.randomUUID(),
        details: { email: `someone-with-a-long-address-${i}@example.test`, from: "agent", to: "supervisor", note: "x".repeat(120) },
      })),
    );
    const { token } = await createInvitation(memberCaller(user.id, organization.id, "owner"), { email: "pending-person@example.test", role: "agent" });
    for (const width of [375, 1440]) {
      const context = await contextFor(user.id, organization.id, width);
      const page = await context.newPage();
      for (const path of ["/", "/members", "/audit", "/settings", "/organizations/new", `/invitations/${token}`]) {
        const res = await page.goto(`${server.url}${path}`);
        expect(res!.status()).toBe(200);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) throw new Error(`${path} overflows by ${overflow}px at ${width}px`);
        expect(await page.locator("h1").first().isVisible()).toBe(true);
      }
      await context.close();
    }
  }, 60_000);

  test("switcher, invitation and role change work through htmx", async () => {
    const { user, organization } = await createOwner({ orgName: "Alpha" });
    const beta = await createOrganization(user.id, "Beta");
    const context = await contextFor(user.id, organization.id, 1440);
    const page = await context.newPage();

    await page.goto(`${server.url}/members`);
    // htmx posts the switch and follows HX-Redirect back to the same section.
    await Promise.all([page.waitForNavigation(), page.selectOption("#org-switch", beta.id)]);
    expect(page.url()).toBe(`${server.url}/members`);
    expect(await page.locator("#org-switch").inputValue()).toBe(beta.id);
    expect(await page.locator("#flash").textContent()).toContain("Switched to Beta");

    // Invite through the htmx form: the link appears in place.
    await page.fill("#f-email", "browser-invitee@example.test");
    await page.selectOption("#f-role", "admin");
    await page.click(".invite-form button[type=submit]");
    await page.locator("#invite-link").waitFor({ timeout: 10_000 });
    const link = (await page.locator("#invite-link").textContent())!.trim();
    expect(link).toMatch(/^http:\/\/localhost:3000\/invitations\/[A-Za-z0-9_-]{43}$/);
    const path = new URL(link).pathname;

    // The invitee signs in elsewhere and accepts.
    const invitee = await createOwner({ email: "browser-invitee@example.test", orgName: "Invitee home" });
    const inviteeContext = await contextFor(invitee.user.id, invitee.organization.id, 375);
    const inviteePage = await inviteeContext.newPage();
    await inviteePage.goto(`${server.url}${path}`);
    expect(await inviteePage.locator("h1").textContent()).toBe("You are invited");
    await Promise.all([inviteePage.waitForURL(`${server.url}/`), inviteePage.click("text=Accept invitation")]);
    expect(await inviteePage.locator("main h1").textContent()).toBe("Beta");
    const [m] = await db
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, beta.id), eq(memberships.userId, invitee.user.id)));
    expect(m!.role).toBe("admin");

    // Back in the owner's page: demote the new admin to agent through the row's form.
    await page.goto(`${server.url}/members`);
    const row = page.locator(`#member-${m!.id}`);
    await row.locator("select[name=role]").selectOption("agent");
    await Promise.all([page.waitForNavigation(), row.locator("button", { hasText: "Save" }).click()]);
    await page.locator("#flash", { hasText: "is now agent" }).waitFor({ timeout: 10_000 });
    const [after] = await db.select().from(memberships).where(eq(memberships.id, m!.id));
    expect(after!.role).toBe("agent");

    // The last owner's demotion comes back as an inline 422 message.
    const ownerRow = page.locator("tr", { hasText: "(you)" });
    await ownerRow.locator("select[name=role]").selectOption("admin");
    await ownerRow.locator("button", { hasText: "Save" }).click();
    await page.locator("#members-page .error", { hasText: "last owner" }).waitFor({ timeout: 10_000 });
    await context.close();
    await inviteeContext.close();
  }, 60_000);
});
