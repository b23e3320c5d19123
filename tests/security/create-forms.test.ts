import { afterAll, describe, expect, test } from "bun:test";
import { count, eq } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { apiKeys, contacts, devices, flows, instances, invitations, memberships, templates, triggers, webhooks, workflows } from "@/db/schema";
import { setupOrg } from "../helpers/factories";

/**
 * Every admin form that creates something answers its post with a redirect to a page (303, or
 * HX-Redirect for htmx), so refreshing what the browser shows is a GET and never a second creation.
 */

const app = createApp();
const subscriber = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
afterAll(() => subscriber.stop(true));

type Form = { name: string; path: string; data: Record<string, string>; table: PgTable & { organizationId: any }; location: RegExp };

describe("create forms are post → redirect → get", () => {
  test("each create form redirects; following the redirect twice (a refresh) creates nothing more", async () => {
    config.allowPrivateWebhookTargets = true;
    const { client, organization, user } = await setupOrg(app);
    await client.postForm("/templates", { key: "hello", body: "Hello", active: "true" });
    const forms: Form[] = [
      {
        name: "webhook",
        path: "/webhooks",
        data: { url: `http://127.0.0.1:${subscriber.port}/hook` },
        table: webhooks,
        location: /^\/webhooks\/[0-9a-f-]{36}$/,
      },
      { name: "api key", path: "/api-keys", data: { name: "CI", scopes: "*" }, table: apiKeys, location: /^\/api-keys$/ },
      { name: "device", path: "/devices", data: { name: "Till", kind: "pos", createKey: "on" }, table: devices, location: /^\/devices$/ },
      { name: "instance", path: "/instances", data: { name: "Support", provider: "sandbox" }, table: instances, location: /^\/instances\/[0-9a-f-]{36}$/ },
      { name: "template", path: "/templates", data: { key: "bye", body: "Bye", active: "true" }, table: templates, location: /^\/templates\/[0-9a-f-]{36}$/ },
      {
        name: "trigger",
        path: "/triggers",
        data: {
          name: "Hi",
          match: "contains",
          pattern: "hi",
          action: "reply_template",
          templateKey: "hello",
          priority: "0",
          cooldownSeconds: "0",
          active: "true",
        },
        table: triggers,
        location: /^\/triggers$/,
      },
      { name: "flow", path: "/flows", data: { name: "Onboarding" }, table: flows, location: /^\/flows\/[0-9a-f-]{36}$/ },
      {
        name: "workflow",
        path: "/workflows",
        data: { name: "Bot", provider: "openai", "config.model": "gpt-test" },
        table: workflows,
        location: /^\/workflows\/[0-9a-f-]{36}$/,
      },
      { name: "invitation", path: "/members/invitations", data: { email: "new@example.test", role: "agent" }, table: invitations, location: /^\/members$/ },
      { name: "contact", path: "/contacts", data: { phone: "+5511955550000", name: "Gil" }, table: contacts, location: /^\/contacts\/[0-9a-f-]{36}$/ },
    ];
    const rowsOf = async (table: Form["table"]) => (await db.select({ n: count() }).from(table).where(eq(table.organizationId, organization.id)))[0]!.n;
    for (const form of forms) {
      const before = await rowsOf(form.table);
      const res = await client.postForm(form.path, form.data);
      expect([form.name, res.status]).toEqual([form.name, 303]);
      const location = res.headers.get("location")!;
      expect([form.name, location]).toEqual([form.name, expect.stringMatching(form.location)]);
      for (let view = 0; view < 2; view++) {
        const page = await client.get(location);
        expect([form.name, page.status, page.headers.get("cache-control")]).toEqual([form.name, 200, "no-store"]);
      }
      expect([form.name, await rowsOf(form.table)]).toEqual([form.name, before + 1]);
    }

    // htmx posts get the same redirect as HX-Redirect.
    const htmx = await client.postForm("/flows", { name: "Second" }, { htmx: true });
    expect(htmx.status).toBe(204);
    expect(htmx.headers.get("hx-redirect")).toMatch(/^\/flows\/[0-9a-f-]{36}$/);

    // A new organization: created once, then the page it leads to.
    const orgsBefore = await db.$count(memberships, eq(memberships.userId, user.id));
    const org = await client.postForm("/organizations/new", { name: "Second org", next: "/members" });
    expect(org.status).toBe(303);
    expect(org.headers.get("location")).toBe("/members");
    expect((await client.get("/members")).status).toBe(200);
    expect(await db.$count(memberships, eq(memberships.userId, user.id))).toBe(orgsBefore + 1);
  });

  test("a created secret is shown on the first view after the redirect only, and only to the page it was made for", async () => {
    config.allowPrivateWebhookTargets = true;
    const { client } = await setupOrg(app);
    const fullKey = /lc_live_[A-Za-z0-9]{20,}/;
    const created = await client.postForm("/api-keys", { name: "Once", scopes: "*" });
    // Another page in between does not consume it…
    expect(await (await client.get("/devices")).text()).not.toMatch(fullKey);
    // …the page it belongs to shows it once.
    expect(await (await client.get(created.headers.get("location")!)).text()).toMatch(fullKey);
    expect(await (await client.get("/api-keys")).text()).not.toMatch(fullKey);

    // The reveal cookie holds no readable secret.
    const hook = await client.postForm("/webhooks", { url: `http://127.0.0.1:${subscriber.port}/hook` });
    expect(hook.headers.getSetCookie().join("\n")).not.toContain("whsec_");
    const shown = await (await client.get(hook.headers.get("location")!)).text();
    expect(shown).toContain("whsec_");
  });

  test("secret rotation happens only on POST", async () => {
    config.allowPrivateWebhookTargets = true;
    const { client, organization } = await setupOrg(app);
    const created = await client.postForm("/webhooks", { url: `http://127.0.0.1:${subscriber.port}/hook` });
    const id = created.headers.get("location")!.split("/").pop()!;
    const [before] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    // A GET of a POST-only route is a 405 that names POST (lib/http-semantics), never a rotation.
    for (const path of [`/webhooks/${id}/rotate`, `/v1/webhooks/${id}/rotate-secret`]) {
      const res = await client.get(path);
      expect([path, res.status, res.headers.get("allow")]).toEqual([path, 405, expect.stringContaining("POST")]);
      expect(res.headers.get("allow")).not.toContain("GET");
    }
    const [after] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(after!.secretEnc).toBe(before!.secretEnc);
    expect(after!.organizationId).toBe(organization.id);
  });
});
