import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { announcements, auditLogs } from "@/db/schema";
import { TestClient } from "../helpers/client";
import { createMember, portugueseOrg, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Announce A" });
  other = await setupOrg(app, { orgName: "Announce B" });
});

async function publish(client: TestClient, form: Record<string, string | string[]>) {
  return client.postForm("/announcements", form, { htmx: true });
}

async function idOf(title: string, organizationId = org.organization.id): Promise<string> {
  const [row] = await db
    .select({ id: announcements.id })
    .from(announcements)
    .where(and(eq(announcements.organizationId, organizationId), eq(announcements.title, title)));
  return row!.id;
}

describe("announcements", () => {
  test("an admin publishes; the targeted roles see the banner until each dismisses it; other roles never see it; audited", async () => {
    const res = await publish(org.client, {
      title: "Manutenção <hoje>",
      message: "Sistema fora do ar às 22h & volta às 23h",
      type: "urgent",
      targetRoles: ["agent", "supervisor"],
      expiresAt: "",
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe("/announcements");
    const id = await idOf("Manutenção <hoje>");
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.targetId, id), eq(auditLogs.action, "announcement.created")));
    expect(audit!.actorId).toBe(org.user.id);

    const page = await (await org.client.get("/announcements")).text();
    expect(page).toContain("Manutenção &lt;hoje&gt;");
    // Every admin page has the slot that loads the banners.
    expect(page).toContain('hx-get="/announcements/banner"');

    const agentA = await signIn(app, (await createMember(org.organization.id, "agent")).id, org.organization.id);
    const agentB = await signIn(app, (await createMember(org.organization.id, "agent")).id, org.organization.id);
    const banner = await (await agentA.get("/announcements/banner", { htmx: true })).text();
    expect(banner).toContain("Manutenção &lt;hoje&gt;");
    expect(banner).toContain("Sistema fora do ar às 22h &amp; volta às 23h");
    expect(banner).toContain('class="announcement announcement-urgent"');
    expect(banner).toContain('role="alert"');
    expect(banner).toContain(`hx-post="/announcements/${id}/dismiss"`);
    // The owner (not a target role) sees nothing.
    expect(await (await org.client.get("/announcements/banner", { htmx: true })).text()).not.toContain("Manutenção");

    expect((await agentA.postForm(`/announcements/${id}/dismiss`, {}, { htmx: true })).status).toBe(200);
    expect(await (await agentA.get("/announcements/banner", { htmx: true })).text()).not.toContain("Manutenção");
    // Dismissing twice is harmless; the other agent still sees it.
    expect((await agentA.postForm(`/announcements/${id}/dismiss`, {}, { htmx: true })).status).toBe(200);
    expect(await (await agentB.get("/announcements/banner", { htmx: true })).text()).toContain("Manutenção");
    // The owner cannot dismiss what is not shown to them; another organization's member gets 404.
    expect((await org.client.postForm(`/announcements/${id}/dismiss`, {}, { htmx: true })).status).toBe(404);
    expect((await other.client.postForm(`/announcements/${id}/dismiss`, {}, { htmx: true })).status).toBe(404);
    expect(await (await other.client.get("/announcements/banner", { htmx: true })).text()).not.toContain("Manutenção");
  });

  test("after its expiry the banner is gone for everyone", async () => {
    const expiring = await publish(org.client, { title: "Expira logo", message: "m", type: "info", targetRoles: ["agent"], expiresAt: "2999-01-01T10:00" });
    expect(expiring.status).toBe(204);
    const id = await idOf("Expira logo");
    const agent = await signIn(app, (await createMember(org.organization.id, "agent")).id, org.organization.id);
    expect(await (await agent.get("/announcements/banner", { htmx: true })).text()).toContain("Expira logo");
    // Time passes: the expiry is now in the past.
    await db
      .update(announcements)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(announcements.id, id));
    expect(await (await agent.get("/announcements/banner", { htmx: true })).text()).not.toContain("Expira logo");
    expect(await (await org.client.get("/announcements")).text()).toContain("expired");
  });

  test("bad input is a 422 with field errors in English and Portuguese", async () => {
    const bad = await publish(org.client, { title: "", message: "", type: "party", expiresAt: "2000-01-01T00:00" });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Choose at least one role.");
    expect(html).toContain("Choose info, warning or urgent.");
    expect(html).toContain("The expiry must be in the future.");
    const pt = await portugueseOrg(app);
    const ptBad = await publish(pt.client, { title: "t", message: "m", type: "info", expiresAt: "" });
    expect(ptBad.status).toBe(422);
    expect(await ptBad.text()).toContain("Escolha ao menos um papel.");
    const ptPage = await (await pt.client.get("/announcements")).text();
    expect(ptPage).toContain("Comunicados");
  });

  test("only admins publish or delete; another organization's id is 404; logged out redirected", async () => {
    await publish(org.client, { title: "Para apagar", message: "m", type: "warning", targetRoles: ["agent"] });
    const id = await idOf("Para apagar");
    const supervisor = await signIn(app, (await createMember(org.organization.id, "supervisor")).id, org.organization.id);
    expect((await supervisor.get("/announcements")).status).toBe(403);
    expect((await publish(supervisor, { title: "x", message: "m", type: "info", targetRoles: ["agent"] })).status).toBe(403);
    expect((await supervisor.postForm(`/announcements/${id}/delete`, {}, { htmx: true })).status).toBe(403);
    expect((await other.client.postForm(`/announcements/${id}/delete`, {}, { htmx: true })).status).toBe(404);
    expect((await new TestClient(app).get("/announcements/banner")).status).toBe(303);
    expect((await org.client.postForm(`/announcements/${id}/delete`, {}, { htmx: true })).status).toBe(204);
    expect(await db.select().from(announcements).where(eq(announcements.id, id))).toEqual([]);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.targetId, id), eq(auditLogs.action, "announcement.deleted")));
    expect(audit).toBeDefined();
  });
});
