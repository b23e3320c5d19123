import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs } from "@/db/schema";
import { listAuditLogs } from "@/features/audit/audit.service";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, signIn } from "../helpers/factories";

const app = createApp();

async function seed(
  organizationId: string,
  rows: { action: string; actorId?: string; actorType?: "user" | "api_key" | "system"; at: Date; details?: Record<string, unknown> }[],
) {
  await db
    .insert(auditLogs)
    .values(
      rows.map((r) => ({ organizationId, actorType: r.actorType ?? "user", actorId: r.actorId ?? null, action: r.action, at: r.at, details: r.details ?? {} })),
    );
}

const day = (iso: string) => new Date(`${iso}T12:00:00.000Z`);

describe("audit log page", () => {
  test("logged out → /login; agents and supervisors → 403", async () => {
    expect((await new TestClient(app).get("/audit")).headers.get("location")).toBe("/login?next=%2Faudit");
    const { organization } = await createOwner();
    for (const role of ["agent", "supervisor"] as const) {
      const user = await createMember(organization.id, role);
      const res = await (await signIn(app, user.id, organization.id)).get("/audit");
      expect(res.status).toBe(403);
    }
    const admin = await createMember(organization.id, "admin");
    expect((await (await signIn(app, admin.id, organization.id)).get("/audit")).status).toBe(200);
  });

  test("newest first, scoped to the organization, details as escaped JSON", async () => {
    const { user, organization } = await createOwner();
    const other = await createOwner();
    await seed(organization.id, [
      { action: "member.removed", actorId: user.id, at: day("2026-01-01"), details: { email: "<script>alert(1)</script>" } },
      { action: "invitation.created", actorId: user.id, at: day("2026-01-03") },
    ]);
    await seed(other.organization.id, [{ action: "other.secret", actorId: other.user.id, at: day("2026-01-02") }]);
    const html = await (await (await signIn(app, user.id, organization.id)).get("/audit")).text();
    expect(html).not.toContain("other.secret");
    expect(html.indexOf("invitation.created</code>")).toBeLessThan(html.indexOf("member.removed</code>"));
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;email&quot;");
    expect(html).toContain(user.email);
  });

  test("filters: action (exact and prefix), actor, date range; invalid input is 422", async () => {
    const { user, organization } = await createOwner();
    const admin = await createMember(organization.id, "admin");
    await seed(organization.id, [
      { action: "member.removed", actorId: user.id, at: day("2026-02-01") },
      { action: "member.role_changed", actorId: admin.id, at: day("2026-02-02") },
      { action: "invitation.created", actorId: admin.id, at: day("2026-02-03") },
      { action: "api_key.created", actorType: "api_key", actorId: crypto.randomUUID(), at: day("2026-02-04") },
    ]);
    const client = await signIn(app, user.id, organization.id);
    const actionsIn = async (query: string) => {
      const res = await client.get(`/audit?${query}`);
      expect(res.status).toBe(200);
      return [...(await res.text()).matchAll(/<code class="audit-action[^"]*">([a-z_.]+)<\/code>/g)].map((m) => m[1]);
    };
    expect(await actionsIn("action=member.removed")).toEqual(["member.removed"]);
    expect(await actionsIn("action=member.*")).toEqual(["member.role_changed", "member.removed"]);
    expect(await actionsIn(`actor=${admin.id}`)).toEqual(["invitation.created", "member.role_changed"]);
    expect(await actionsIn("actor=type%3Aapi_key")).toEqual(["api_key.created"]);
    expect(await actionsIn("from=2026-02-02&to=2026-02-03")).toEqual(["invitation.created", "member.role_changed"]);
    expect(await actionsIn("action=&actor=&from=&to=")).toHaveLength(4);
    expect(await actionsIn("action=nothing.here")).toEqual([]);

    for (const [query, message] of [
      ["from=2026-13-01", "Use a date"],
      ["from=2026-02-03&to=2026-02-01", "Must be on or after the start date"],
      ["actor=%3Cscript%3E", "Choose an actor"],
      ["action=%3Cimg%20src%3Dx%3E", "Letters, digits"],
      ["cursor=nope", "Invalid page cursor"],
    ] as const) {
      const res = await client.get(`/audit?${query}`);
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).not.toContain("<img src=x>");
      expect(html).not.toContain("<script>");
    }
  });

  test("cursor pagination: Older link walks every row once, keeping filters", async () => {
    const { user, organization } = await createOwner();
    const base = Date.UTC(2026, 2, 1);
    // 120 rows, some sharing a timestamp so ties are broken by id.
    await seed(
      organization.id,
      Array.from({ length: 120 }, (_, i) => ({
        action: i % 2 ? "member.removed" : "invitation.created",
        actorId: user.id,
        at: new Date(base + Math.floor(i / 3) * 1000),
      })),
    );
    const client = await signIn(app, user.id, organization.id);
    const seen: string[] = [];
    let url: string | null = "/audit";
    let pages = 0;
    while (url) {
      const html = await (await client.get(url)).text();
      pages++;
      seen.push(...[...html.matchAll(/<code class="audit-action[^"]*">([a-z_.]+)<\/code>/g)].map((m) => m[1]!));
      const older = html.match(/<a href="([^"]+)" class="button secondary" rel="next">Older<\/a>/);
      url = older ? older[1]!.replaceAll("&amp;", "&") : null;
    }
    expect(pages).toBe(3);
    expect(seen.length).toBe(120);
    const service = await listAuditLogs(organization.id, {}, 1000);
    expect(service.entries.length).toBe(120);
    const ids = new Set(service.entries.map((e) => e.id));
    expect(ids.size).toBe(120);

    // Filters survive into the Older link.
    const filtered = await (await client.get("/audit?action=member.removed")).text();
    const older = filtered.match(/<a href="([^"]+)" class="button secondary" rel="next">Older<\/a>/)![1]!.replaceAll("&amp;", "&");
    expect(older).toContain("action=member.removed");
    const next = await (await client.get(older)).text();
    const actions = [...next.matchAll(/<code class="audit-action[^"]*">([a-z_.]+)<\/code>/g)].map((m) => m[1]);
    expect(actions.length).toBe(10);
    expect(new Set(actions)).toEqual(new Set(["member.removed"]));

    // A cursor is a position, not a row: one taken from another organization still pages only this one.
    const other = await createOwner();
    await seed(other.organization.id, [
      { action: "x.y", at: new Date(base + 86_400_000) },
      { action: "x.y", at: new Date(base + 86_400_000) },
    ]);
    const foreign = (await listAuditLogs(other.organization.id, { action: "x.y" }, 1)).nextCursor!;
    const throughForeign = await listAuditLogs(organization.id, { cursor: foreign });
    expect(throughForeign.entries.length).toBe(50);
    expect(throughForeign.entries.every((e) => e.organizationId === organization.id)).toBe(true);
  });
});
