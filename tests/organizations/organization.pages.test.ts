import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, memberships, organizations, sessions } from "@/db/schema";
import { createUser } from "@/features/auth/auth.service";
import { createOrganization } from "@/features/organizations/organization.service";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, signIn, uniqueEmail } from "../helpers/factories";

const app = createApp();
const XSS = "<img src=x onerror=alert(1)>";

async function activeOrgOf(client: TestClient) {
  const { sha256Hex } = await import("@/lib/crypto");
  const [s] = await db
    .select()
    .from(sessions)
    .where(eq(sessions.id, sha256Hex(client.cookies.get("lc_session")!)));
  return s!.activeOrganizationId;
}

describe("signed-out access", () => {
  test("pages redirect to /login with next, posts to /login", async () => {
    const client = new TestClient(app);
    expect((await client.get("/")).headers.get("location")).toBe("/try"); // visitors land on try-before-sign-up
    for (const path of ["/settings", "/members", "/audit", "/organizations/new"]) {
      const res = await client.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    for (const path of ["/organizations/new", "/organizations/switch", "/settings"]) {
      const res = await client.postForm(path, { name: "x", organizationId: crypto.randomUUID() });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/login");
    }
    const hx = await client.get("/members", { htmx: true });
    expect(hx.status).toBe(204);
    expect(hx.headers.get("hx-redirect")).toStartWith("/login");
  });
});

describe("creating an organization", () => {
  test("a user without an organization is sent to create one, becomes owner and the session switches", async () => {
    const user = await createUser({ email: uniqueEmail(), password: "correct horse battery" });
    const client = await signIn(app, user.id);
    const home = await client.get("/");
    expect(home.status).toBe(303);
    expect(home.headers.get("location")).toBe("/organizations/new?next=%2F");

    const form = await client.get("/organizations/new?next=%2Fmembers");
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('name="next" value="/members"');

    const bad = await client.postForm("/organizations/new", { name: " ", next: "/members" });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Use at least 2 characters");

    const res = await client.postForm("/organizations/new", { name: "Acme Support", next: "/members" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/members");
    const [org] = await db.select().from(organizations).where(eq(organizations.ownerId, user.id));
    expect(org!.name).toBe("Acme Support");
    expect(org!.slug).toBe("acme-support");
    const [m] = await db
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, org!.id), eq(memberships.userId, user.id)));
    expect(m!.role).toBe("owner");
    expect(await activeOrgOf(client)).toBe(org!.id);
    const audit = await db.select().from(auditLogs).where(eq(auditLogs.organizationId, org!.id));
    expect(audit.map((a) => a.action)).toEqual(["organization.created"]);
    expect(audit[0]!.actorId).toBe(user.id);

    const dash = await client.get("/");
    expect(dash.status).toBe(200);
    const body = await dash.text();
    expect(body).toContain("<h1>Acme Support</h1>");
    expect(body).toContain("Organization Acme Support created");
  });

  test("an existing member can add a second organization; unsafe next falls back to /", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const res = await client.postForm("/organizations/new", { name: "Second", next: "//evil.example/x" }, { htmx: true });
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe("/");
    expect(await activeOrgOf(client)).not.toBe(organization.id);
    // Two organizations with the same name get distinct slugs.
    await client.postForm("/organizations/new", { name: "Second" });
    const slugs = (await db.select().from(organizations).where(eq(organizations.name, "Second"))).map((o) => o.slug);
    expect(new Set(slugs).size).toBe(2);
  });
});

describe("switching organizations", () => {
  test("only to organizations the user belongs to; htmx and plain forms", async () => {
    const { user, organization } = await createOwner({ orgName: "First" });
    const second = await createOrganization(user.id, "Second");
    const stranger = await createOwner({ orgName: "Stranger" });
    const client = await signIn(app, user.id, organization.id);

    const hx = await client.postForm(
      "/organizations/switch",
      { organizationId: second.id },
      { htmx: true, headers: { "hx-current-url": "http://localhost/instances/0b7e1e0e-1111-4111-8111-111111111111" } },
    );
    expect(hx.status).toBe(204);
    expect(hx.headers.get("hx-redirect")).toBe("/instances");
    expect(await activeOrgOf(client)).toBe(second.id);
    expect(await (await client.get("/")).text()).toContain("<h1>Second</h1>");

    const plain = await client.postForm("/organizations/switch", { organizationId: organization.id }, { headers: { referer: "http://localhost/members" } });
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe("/members");
    expect(await activeOrgOf(client)).toBe(organization.id);

    const noReferer = await client.postForm("/organizations/switch", { organizationId: second.id });
    expect(noReferer.headers.get("location")).toBe("/");

    for (const organizationId of [stranger.organization.id, "not-a-uuid", ""]) {
      const res = await client.postForm("/organizations/switch", { organizationId });
      expect(res.status).toBe(404);
    }
    expect(await activeOrgOf(client)).toBe(second.id);
  });
});

describe("settings", () => {
  test("everyone reads; admins rename (audited); agents get 403", async () => {
    const { user, organization } = await createOwner({ orgName: "Before" });
    const agent = await createMember(organization.id, "agent");
    const admin = await createMember(organization.id, "admin");

    const agentClient = await signIn(app, agent.id, organization.id);
    const view = await agentClient.get("/settings");
    expect(view.status).toBe(200);
    const viewHtml = await view.text();
    expect(viewHtml).not.toContain('action="/settings"');
    expect(viewHtml).toContain(organization.slug);
    expect(viewHtml).toContain("Max instances");
    expect((await agentClient.postForm("/settings", { name: "Hijacked" })).status).toBe(403);
    const supervisor = await createMember(organization.id, "supervisor");
    expect((await (await signIn(app, supervisor.id, organization.id)).postForm("/settings", { name: "Hijacked" })).status).toBe(403);

    const adminClient = await signIn(app, admin.id, organization.id);
    const bad = await adminClient.postForm("/settings", { name: "x".repeat(81) });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Use at most 80 characters");

    const ok = await adminClient.postForm("/settings", { name: "After" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/settings");
    const [org] = await db.select().from(organizations).where(eq(organizations.id, organization.id));
    expect(org!.name).toBe("After");
    expect(org!.slug).toBe(organization.slug);
    const [entry] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "organization.renamed")));
    expect(entry!.details).toEqual({ from: "Before", to: "After" });
    expect(entry!.actorId).toBe(admin.id);
    expect(await (await adminClient.get("/settings")).text()).toContain("Organization renamed to After");
    void user;
  });
});

describe("escaping", () => {
  test("a hostile organization name renders escaped on the dashboard, the switcher and settings", async () => {
    const { user, organization } = await createOwner({ orgName: XSS });
    const client = await signIn(app, user.id, organization.id);
    for (const path of ["/", "/settings", "/members"]) {
      const html = await (await client.get(path)).text();
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;img");
    }
    // Switcher only: the hostile organization is listed but another one is active.
    const other = await createOrganization(user.id, "Plain name");
    await client.postForm("/organizations/switch", { organizationId: other.id });
    const html = await (await client.get("/")).text();
    expect(html).toContain("<h1>Plain name</h1>");
    expect(html).not.toContain("<img src=x");
    expect(html).toMatch(/<option value="[^"]+">&lt;img/);
    // Read-only settings (agent) show the name as text.
    const agent = await createMember(organization.id, "agent");
    const agentHtml = await (await signIn(app, agent.id, organization.id)).get("/settings").then((r) => r.text());
    expect(agentHtml).not.toContain("<img src=x");
    expect(agentHtml).toContain("&lt;img");
  });
});
