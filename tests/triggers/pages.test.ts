import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, triggerFirings, triggers } from "@/db/schema";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { createFlow, publishFlow, saveStep } from "@/features/flows/flow.service";
import { createTemplate } from "@/features/templates/template.service";
import { TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

const app = createApp();

async function instanceOf(organizationId: string, name: string) {
  const [row] = await db.insert(instances).values({ organizationId, name, provider: "sandbox", status: "connected" }).returning();
  return row!;
}

async function orgWithTargets() {
  const ctx = await setupOrg(app);
  const org = ctx.organization.id;
  await createTemplate(systemCaller("test", org), { key: "welcome", body: "Welcome!", variants: [], variables: [], active: true });
  const flow = await createFlow(systemCaller("test", org), { name: "Sales menu" });
  await saveStep(systemCaller("test", org), flow.id, flowStepSchema.parse({ key: "hi", type: "send_text", text: "Hi" }));
  await publishFlow(systemCaller("test", org), flow.id);
  const main = await instanceOf(org, "Main number");
  const other = await instanceOf(org, "Support number");
  return { ...ctx, org, flow, main, other };
}

const form = (extra: Record<string, string | string[]> = {}) => ({
  name: "",
  match: "equals",
  pattern: "menu",
  priority: "0",
  cooldownSeconds: "0",
  action: "reply_template",
  templateKey: "welcome",
  flowId: "",
  workflowId: "",
  active: "true",
  ...extra,
});

describe("trigger pages", () => {
  test("logged out: every page redirects to sign in", async () => {
    const { client, org } = await orgWithTargets();
    await client.postForm("/triggers", form(), { htmx: true });
    const [t] = await db.select().from(triggers).where(eq(triggers.organizationId, org));
    const anon = new TestClient(app);
    for (const path of ["/triggers", `/triggers/${t!.id}`]) {
      const res = await anon.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toContain("/login");
    }
    for (const path of ["/triggers", "/triggers/test", `/triggers/${t!.id}`, `/triggers/${t!.id}/toggle`, `/triggers/${t!.id}/delete`]) {
      const res = await anon.postForm(path, form());
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/login");
    }
  });

  test("create with field errors (422), list by priority with targets, edit, disable and delete", async () => {
    const { client, org, flow, main } = await orgWithTargets();
    const bad = await client.postForm("/triggers", form({ match: "regex", pattern: "(unclosed", priority: "high" }), { htmx: true });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Not a valid regular expression");
    expect(badHtml).toContain("Must be a whole number");
    expect(badHtml).toContain('value="(unclosed"');

    const missing = await client.postForm("/triggers", form({ templateKey: "nope" }), { htmx: true });
    expect(missing.status).toBe(422);
    expect(await missing.text()).toContain("No template with key");
    const noFlow = await client.postForm("/triggers", form({ action: "start_flow", templateKey: "" }), { htmx: true });
    expect(noFlow.status).toBe(422);
    expect(await noFlow.text()).toContain("Choose the flow to start");

    const low = await client.postForm("/triggers", form({ name: "Welcome reply", match: "any", pattern: "", priority: "1" }), { htmx: true });
    expect(low.status).toBe(204);
    expect(low.headers.get("hx-redirect")).toBe("/triggers");
    const high = await client.postForm(
      "/triggers",
      form({
        name: "Menu flow",
        pattern: "menu",
        priority: "50",
        cooldownSeconds: "600",
        action: "start_flow",
        templateKey: "",
        flowId: flow.id,
        instanceIds: [main.id],
      }),
      { htmx: true },
    );
    expect(high.status).toBe(204);

    const page = await (await client.get("/triggers")).text();
    expect(page).toContain("Test a message");
    expect(page).toContain("bind a WhatsApp number to a workflow");
    expect(page.indexOf("Menu flow")).toBeLessThan(page.indexOf("Welcome reply"));
    expect(page).toContain("Sales menu (live v1)");
    expect(page).toContain("600 s");
    expect(page).toContain("Main number");

    const [menu] = await db.select().from(triggers).where(eq(triggers.name, "Menu flow"));
    const edit = await client.get(`/triggers/${menu!.id}`);
    expect(edit.status).toBe(200);
    const editHtml = await edit.text();
    expect(editHtml).toContain(`value="${main.id}" checked`);
    expect(editHtml).toMatch(new RegExp(`<option value="${flow.id}" selected`));
    const badEdit = await client.postForm(`/triggers/${menu!.id}`, form({ match: "number", pattern: "abc" }), { htmx: true });
    expect(badEdit.status).toBe(422);
    expect(await badEdit.text()).toContain("pattern is a number");
    const saved = await client.postForm(
      `/triggers/${menu!.id}`,
      form({ name: "Menu flow", pattern: "MENU", priority: "60", action: "start_flow", templateKey: "", flowId: flow.id }),
      { htmx: true },
    );
    expect(saved.status).toBe(204);
    const [after] = await db.select().from(triggers).where(eq(triggers.id, menu!.id));
    expect(after!.priority).toBe(60);
    expect(after!.instanceIds).toBeNull();

    const off = await client.postForm(`/triggers/${menu!.id}/toggle`, { active: "false" }, { htmx: true });
    expect(off.status).toBe(204);
    expect((await db.select().from(triggers).where(eq(triggers.id, menu!.id)))[0]!.active).toBe(false);
    expect(await (await client.get("/triggers")).text()).toContain("disabled");
    await client.postForm(`/triggers/${menu!.id}/toggle`, { active: "true" }, { htmx: true });
    expect((await db.select().from(triggers).where(eq(triggers.id, menu!.id)))[0]!.active).toBe(true);

    const deleted = await client.postForm(`/triggers/${menu!.id}/delete`, {});
    expect(deleted.status).toBe(303);
    expect((await client.get(`/triggers/${menu!.id}`)).status).toBe(404);
    expect(org).toBeTruthy();
  });

  test("an instance of another organization cannot be chosen", async () => {
    const { client } = await orgWithTargets();
    const stranger = await orgWithTargets();
    const res = await client.postForm("/triggers", form({ instanceIds: [stranger.main.id] }), { htmx: true });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Choose instances of this organization");
  });

  test("the test box shows which trigger would fire, by priority and instance, without recording a firing", async () => {
    const { client, flow, main, other } = await orgWithTargets();
    await client.postForm("/triggers", form({ name: "Anything", match: "any", pattern: "", priority: "0" }), { htmx: true });
    await client.postForm(
      "/triggers",
      form({
        name: "Menu on main",
        match: "contains",
        pattern: "menu",
        priority: "10",
        action: "start_flow",
        templateKey: "",
        flowId: flow.id,
        instanceIds: [main.id],
      }),
      {
        htmx: true,
      },
    );
    await client.postForm("/triggers", form({ name: "Greeting", match: "first_message", pattern: "", priority: "20" }), { htmx: true });

    const onMain = await (await client.postForm("/triggers/test", { text: "show me the MENU please", instanceId: main.id }, { htmx: true })).text();
    expect(onMain).toContain("<strong>Menu on main</strong> would fire");
    expect(onMain).toContain("Sales menu (live v1)");
    expect(onMain).toContain("matches, but a higher one fires");

    const onOther = await (await client.postForm("/triggers/test", { text: "menu", instanceId: other.id }, { htmx: true })).text();
    expect(onOther).toContain("<strong>Anything</strong> would fire");
    expect(onOther).toContain("other instances");

    const first = await (await client.postForm("/triggers/test", { text: "menu", firstMessage: "true" }, { htmx: true })).text();
    expect(first).toContain("<strong>Greeting</strong> would fire");

    const empty = await client.postForm("/triggers/test", { text: "  " }, { htmx: true });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Type the message");

    // Without htmx the box answers with the whole page.
    const plain = await client.postForm("/triggers/test", { text: "hello" });
    expect(plain.status).toBe(200);
    const plainHtml = await plain.text();
    expect(plainHtml).toContain("<title>Triggers");
    expect(plainHtml).toContain("<strong>Anything</strong> would fire");

    expect(await db.select().from(triggerFirings)).toHaveLength(0);
  });

  test("agents can view and test but not change triggers", async () => {
    const { client, organization } = await orgWithTargets();
    await client.postForm("/triggers", form({ name: "Kept" }), { htmx: true });
    const [t] = await db.select().from(triggers).where(eq(triggers.organizationId, organization.id));
    const agent = await signIn(app, (await createMember(organization.id, "agent")).id, organization.id);
    const page = await agent.get("/triggers");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Kept");
    expect(html).not.toContain("New trigger");
    expect((await agent.get(`/triggers/${t!.id}`)).status).toBe(200);
    expect((await agent.postForm("/triggers/test", { text: "menu" }, { htmx: true })).status).toBe(200);
    for (const [path, data] of [
      ["/triggers", form()],
      [`/triggers/${t!.id}`, form()],
      [`/triggers/${t!.id}/toggle`, { active: "false" }],
      [`/triggers/${t!.id}/delete`, {}],
    ] as const) {
      expect((await agent.postForm(path, data, { htmx: true })).status).toBe(403);
    }
    expect((await db.select().from(triggers).where(eq(triggers.id, t!.id)))[0]!.active).toBe(true);
  });

  test("another organization's trigger is 404 on every route", async () => {
    const owner = await orgWithTargets();
    await owner.client.postForm("/triggers", form({ name: "Private" }), { htmx: true });
    const [t] = await db.select().from(triggers).where(eq(triggers.organizationId, owner.org));
    const { client } = await orgWithTargets();
    expect((await client.get(`/triggers/${t!.id}`)).status).toBe(404);
    expect((await client.postForm(`/triggers/${t!.id}`, form(), { htmx: true })).status).toBe(404);
    expect((await client.postForm(`/triggers/${t!.id}/toggle`, { active: "false" }, { htmx: true })).status).toBe(404);
    expect((await client.postForm(`/triggers/${t!.id}/delete`, {}, { htmx: true })).status).toBe(404);
    expect(await (await client.get("/triggers")).text()).not.toContain("Private");
    expect((await db.select().from(triggers).where(eq(triggers.id, t!.id)))[0]!.active).toBe(true);
  });

  test("a pattern with markup is rendered escaped", async () => {
    const { client } = await orgWithTargets();
    const xss = "<img src=x onerror=alert(1)>";
    expect((await client.postForm("/triggers", form({ name: xss, match: "contains", pattern: xss }), { htmx: true })).status).toBe(204);
    const html = await (await client.get("/triggers")).text();
    expect(html).not.toContain(xss);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    const tested = await (await client.postForm("/triggers/test", { text: `hi ${xss}` }, { htmx: true })).text();
    expect(tested).not.toContain(xss);
    expect(tested).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
