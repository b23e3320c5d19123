import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { flows, messages, threads } from "@/db/schema";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { createFlow, getSteps, saveStep } from "@/features/flows/flow.service";
import { createTemplate } from "@/features/templates/template.service";
import { TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

const app = createApp();

const step = (extra: Record<string, string>) => ({
  key: "",
  type: "send_text",
  templateKey: "",
  text: "",
  "config.variable": "",
  "config.workflowId": "",
  transitions: "",
  order: "",
  ...extra,
});

/** Creates a flow through the page and returns its editor path. */
async function newFlow(client: TestClient, name = "Support menu") {
  const res = await client.postForm("/flows", { name }, { htmx: true });
  expect(res.status).toBe(204);
  const location = res.headers.get("hx-redirect")!;
  expect(location).toMatch(/^\/flows\/[0-9a-f-]{36}$/);
  return location;
}

/** A menu flow (choice → collect_input → thanks) built through the step form. */
async function menuFlow(client: TestClient, org: string) {
  await createTemplate(systemCaller("test", org), { key: "menu", body: "Hi {{name}}! 1) sales 2) support", variants: [], variables: [], active: true });
  const path = await newFlow(client, "Menu");
  const add = async (data: Record<string, string>) => {
    const res = await client.postForm(`${path}/steps`, step(data), { htmx: true });
    expect(res.status).toBe(204);
  };
  await add({ key: "menu", type: "choice", templateKey: "menu", transitions: "1=sales\n2=ask_name", order: "0" });
  await add({ key: "sales", type: "send_text", text: "Sales will call you.", transitions: "*=bye", order: "1" });
  await add({ key: "ask_name", type: "collect_input", text: "Your name?", "config.variable": "customer", order: "2" });
  await add({ key: "thanks", type: "send_text", text: "Thanks {{customer}}!", order: "3" });
  await add({ key: "bye", type: "end", text: "Bye.", order: "4" });
  return path;
}

const idOf = (path: string) => path.split("/").pop()!;
/** Response text with quotes unescaped, so assertions can quote messages as written. */
const text = async (res: Response | Promise<Response>) => (await (await res).text()).replaceAll("&quot;", '"').replaceAll("&#34;", '"');

describe("flow pages", () => {
  test("logged out: every route redirects to sign in", async () => {
    const { organization } = await setupOrg(app);
    const flow = await createFlow(systemCaller("test", organization.id), { name: "Private" });
    const anon = new TestClient(app);
    for (const path of ["/flows", `/flows/${flow.id}`]) {
      const res = await anon.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toContain("/login");
    }
    for (const path of [
      "/flows",
      `/flows/${flow.id}/settings`,
      `/flows/${flow.id}/steps`,
      `/flows/${flow.id}/steps/a`,
      `/flows/${flow.id}/steps/a/delete`,
      `/flows/${flow.id}/publish`,
      `/flows/${flow.id}/draft`,
      `/flows/${flow.id}/try`,
    ]) {
      const res = await anon.postForm(path, { name: "x" });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/login");
    }
  });

  test("editor: add steps, problems shown live, fix, publish v1, edit opens draft v2, publish, history", async () => {
    const { client, organization } = await setupOrg(app);
    const org = organization.id;
    await createTemplate(systemCaller("test", org), { key: "reminder", body: "Still there?", variants: [], variables: [], active: true });

    const badName = await client.postForm("/flows", { name: "  " }, { htmx: true });
    expect(badName.status).toBe(422);
    const path = await newFlow(client);
    const empty = await text(client.get(path));
    expect(empty).toContain("A flow needs at least one step");
    const tryEmpty = await client.postForm(`${path}/try`, {}, { htmx: true });
    expect(tryEmpty.status).toBe(422);
    expect(await text(tryEmpty)).toContain("Add a step first");
    expect(empty).toContain("v1 draft");

    // Field errors re-render the step form with what was typed.
    const bad = await client.postForm(`${path}/steps`, step({ key: "Bad Key!", type: "collect_input", text: "Your name?", transitions: "oops" }), {
      htmx: true,
    });
    expect(bad.status).toBe(422);
    const badHtml = await text(bad);
    expect(badHtml).toContain("lowercase letters, digits, _ and - only");
    expect(badHtml).toContain("Name the variable that stores the answer");
    expect(badHtml).toContain("must read answer=step_key");
    expect(badHtml).toContain('value="Bad Key!"');
    expect(badHtml).toContain("Your name?");
    const badTarget = await client.postForm(`${path}/steps`, step({ key: "start", transitions: "1=Not A Key", text: "x" }), { htmx: true });
    expect(badTarget.status).toBe(422);
    expect(await text(badTarget)).toContain('Line "1=…": lowercase letters');

    // A transition to a step not written yet is allowed in a draft; the panel lists it.
    expect(
      (
        await client.postForm(`${path}/steps`, step({ key: "start", text: "Hello! 1 or 2?", type: "choice", transitions: "1=one\n2=ghost", order: "0" }), {
          htmx: true,
        })
      ).status,
    ).toBe(204);
    expect((await client.postForm(`${path}/steps`, step({ key: "one", type: "end", text: "You chose one.", order: "1" }), { htmx: true })).status).toBe(204);
    expect((await client.postForm(`${path}/steps`, step({ key: "orphan", type: "end", text: "Never reached", order: "2" }), { htmx: true })).status).toBe(204);
    const dup = await client.postForm(`${path}/steps`, step({ key: "one", text: "again" }), { htmx: true });
    expect(dup.status).toBe(422);
    expect(await text(dup)).toContain('A step "one" already exists');

    const withProblems = await text(client.get(path));
    expect(withProblems).toContain('Step "start" goes to missing step "ghost"');
    expect(withProblems).toContain('Step "orphan" is unreachable');
    expect(withProblems).toContain('id="step-orphan" class="step-row has-problem"');
    expect(withProblems).toContain('id="step-one" class="step-row"');
    expect(withProblems).toContain('href="#step-orphan"');

    const refused = await client.postForm(`${path}/publish`, {}, { htmx: true });
    expect(refused.status).toBe(422);
    const refusedHtml = await text(refused);
    expect(refusedHtml).toContain("Not published: fix these problems first");
    expect(refusedHtml).toContain('missing step "ghost"');
    expect(
      (
        await db
          .select()
          .from(flows)
          .where(eq(flows.id, idOf(path)))
      )[0]!.status,
    ).toBe("draft");
    // Without htmx the whole editor comes back with the problems.
    const refusedPage = await client.postForm(`${path}/publish`, {});
    expect(refusedPage.status).toBe(422);
    expect(await text(refusedPage)).toContain("Not published: fix these problems first");

    // Fix: edit "start" (the edit form is pre-filled), delete the orphan.
    const editForm = await text(client.get(`${path}?step=start`));
    expect(editForm).toContain('Edit step "start"');
    expect(editForm).toContain("2=ghost");
    expect(
      (
        await client.postForm(`${path}/steps/start`, step({ key: "start", type: "choice", text: "Hello! 1 or 2?", transitions: "1=one\n2=one", order: "0" }), {
          htmx: true,
        })
      ).status,
    ).toBe(204);
    expect((await client.postForm(`${path}/steps/orphan/delete`, {}, { htmx: true })).status).toBe(204);
    expect((await client.postForm(`${path}/steps/orphan/delete`, {}, { htmx: true })).status).toBe(404);
    const settingsBad = await client.postForm(`${path}/settings`, { name: "Support menu", followUps: "soon reminder\n60 nope" }, { htmx: true });
    expect(settingsBad.status).toBe(422);
    const settingsHtml = await text(settingsBad);
    expect(settingsHtml).toContain('soon reminder" must be "&lt;seconds&gt; &lt;template_key&gt;"');
    expect(await text(client.postForm(`${path}/settings`, { name: "Support menu", followUps: "60 nope" }, { htmx: true }))).toContain(
      'No template with key "nope"',
    );
    expect((await client.postForm(`${path}/settings`, { name: "Support menu", followUps: "3600 reminder" }, { htmx: true })).status).toBe(204);
    const fixed = await text(client.get(path));
    expect(fixed).toContain("No problems: this version can be published.");
    expect(fixed).toContain("3600 reminder");

    const published = await client.postForm(`${path}/publish`, {}, { htmx: true });
    expect(published.status).toBe(204);
    const v1 = await text(client.get(path));
    expect(v1).toContain("v1 live");
    expect(v1).toContain("Edit (new draft)");
    expect(v1).not.toContain('id="step-form"');
    expect(await text(client.get("/flows"))).toContain("v1 live");
    // A published version is read-only.
    expect((await client.postForm(`${path}/steps`, step({ key: "more", text: "x" }), { htmx: true })).status).toBe(409);

    const draft = await client.postForm(`${path}/draft`, {}, { htmx: true });
    expect(draft.status).toBe(204);
    const draftPath = draft.headers.get("hx-redirect")!;
    expect(draftPath).not.toBe(path);
    const draftPage = await text(client.get(draftPath));
    expect(draftPage).toContain("v2 draft");
    expect(draftPage).toContain('id="step-start"');
    // Opening the draft again from v1 returns the same draft.
    expect((await client.postForm(`${path}/draft`, {}, { htmx: true })).headers.get("hx-redirect")).toBe(draftPath);
    const list = await text(client.get("/flows"));
    expect(list).toContain("v1 live");
    expect(list).toContain("v2 draft");

    expect(
      (await client.postForm(`${draftPath}/steps/one`, step({ key: "one", type: "end", text: "One, version two.", order: "1" }), { htmx: true })).status,
    ).toBe(204);
    expect((await client.postForm(`${draftPath}/publish`, {}, { htmx: true })).status).toBe(204);
    const history = await text(client.get(draftPath));
    expect(history).toContain("v2 live");
    expect(history).toContain("v1 archived");
    expect(history).toContain(`href="${path}"`);
    const archived = await text(client.get(path));
    expect(archived).toContain("This version is archived and read-only");
    expect(archived).toContain("You chose one.");
  });

  test("try it: a menu flow's transcript, current step and variables; drafts too; reset", async () => {
    const { client, organization, user } = await setupOrg(app);
    const path = await menuFlow(client, organization.id);
    // Not published: trying a draft is the point.
    const started = await client.postForm(`${path}/try`, {}, { htmx: true });
    expect(started.status).toBe(200);
    const first = await started.text();
    expect(first).toContain('id="try-panel"');
    expect(first).toContain("Hi Test Owner! 1) sales 2) support");
    expect(first).toContain("<code>menu</code>");
    expect(first).toContain("waiting for an answer");
    const threadId = /name="threadId" value="([0-9a-f-]{36})"/.exec(first)![1]!;

    const unknown = await (await client.postForm(`${path}/try`, { threadId, text: "9" }, { htmx: true })).text();
    expect(unknown.match(/1\) sales 2\) support/g)).toHaveLength(2); // not an option: asked again

    const asked = await (await client.postForm(`${path}/try`, { threadId, text: "2" }, { htmx: true })).text();
    expect(asked).toContain("Your name?");
    expect(asked).toContain("<code>ask_name</code>");

    const done = await (await client.postForm(`${path}/try`, { threadId, text: "Ana <b>" }, { htmx: true })).text();
    expect(done).toContain("Thanks Ana &lt;b&gt;!");
    expect(done).toContain("Bye.");
    expect(done).toContain("flow ended");
    expect(done).toContain("<code>customer</code> = <span>Ana &lt;b&gt;</span>");
    expect(done).not.toContain('name="text"');
    const order = ["Hi Test Owner!", ">9<", ">2<", "Your name?", "Ana &lt;b&gt;", "Thanks Ana", "Bye."].map((s) => done.indexOf(s));
    expect(order.every((i, n) => i > 0 && (n === 0 || i > order[n - 1]!))).toBe(true);

    // The run is a thread of the tester, with no contact and nothing sent to WhatsApp.
    const [thread] = await db.select().from(threads).where(eq(threads.id, threadId));
    expect(thread!.userId).toBe(user.id);
    expect(thread!.contactId).toBeNull();
    expect(await db.select().from(messages).where(eq(messages.organizationId, organization.id))).toHaveLength(0);

    const empty = await client.postForm(
      `${path}/try`,
      { threadId: (await (await client.postForm(`${path}/try`, {}, { htmx: true })).text()).match(/name="threadId" value="([0-9a-f-]{36})"/)![1]!, text: " " },
      { htmx: true },
    );
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Type an answer");

    const reset = await (await client.postForm(`${path}/try`, { threadId, reset: "true" }, { htmx: true })).text();
    expect(reset).not.toContain("Thanks Ana");
    expect(reset).toContain("1) sales 2) support");
    expect((await db.select().from(threads).where(eq(threads.id, threadId)))[0]!.status).toBe("archived");

    // Without htmx the whole editor comes back with the panel filled in.
    const plain = await client.postForm(`${path}/try`, {});
    expect(plain.status).toBe(200);
    const plainHtml = await plain.text();
    expect(plainHtml).toContain("<title>Menu v1");
    expect(plainHtml).toContain("1) sales 2) support");
  });

  test("try it: hand-off and workflow steps are shown as notes; a run of another version is refused", async () => {
    const { client, organization } = await setupOrg(app);
    const path = await newFlow(client, "Handoff");
    await client.postForm(
      `${path}/steps`,
      step({ key: "a", type: "collect_input", text: "Human or bot?", "config.variable": "pick", transitions: "human=h", order: "0" }),
      { htmx: true },
    );
    await client.postForm(`${path}/steps`, step({ key: "h", type: "handoff", text: "A person will answer.", order: "1" }), { htmx: true });
    const run = await (await client.postForm(`${path}/try`, {}, { htmx: true })).text();
    const threadId = /name="threadId" value="([0-9a-f-]{36})"/.exec(run)![1]!;
    const handed = await (await client.postForm(`${path}/try`, { threadId, text: "HUMAN" }, { htmx: true })).text();
    expect(handed).toContain("A person will answer.");
    expect(handed).toContain("[handed to a human]");
    expect(handed).toContain("<code>pick</code> = <span>HUMAN</span>");

    const other = await newFlow(client, "Other");
    expect((await client.postForm(`${other}/try`, { threadId, text: "hi" }, { htmx: true })).status).toBe(404);
    expect((await client.postForm(`${path}/try`, { threadId: "not-a-uuid", text: "hi" }, { htmx: true })).status).toBe(404);
    expect(organization.id).toBeTruthy();
  });

  test("agents can view and try flows but not change them", async () => {
    const { client, organization } = await setupOrg(app);
    const path = await menuFlow(client, organization.id);
    const agent = await signIn(app, (await createMember(organization.id, "agent")).id, organization.id);
    const page = await agent.get(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Sales will call you.");
    expect(html).not.toContain('id="step-form"');
    expect(html).not.toContain(">Publish<");
    expect((await agent.get("/flows")).status).toBe(200);
    expect((await agent.postForm(`${path}/try`, {}, { htmx: true })).status).toBe(200);
    const forbidden: [string, Record<string, string>][] = [
      ["/flows", { name: "Mine" }],
      [`${path}/settings`, { name: "Renamed", followUps: "" }],
      [`${path}/steps`, step({ key: "x", text: "x" })],
      [`${path}/steps/sales`, step({ key: "sales", text: "changed" })],
      [`${path}/steps/sales/delete`, {}],
      [`${path}/publish`, {}],
      [`${path}/draft`, {}],
    ];
    for (const [p, data] of forbidden) expect((await agent.postForm(p, data, { htmx: true })).status).toBe(403);
    expect((await getSteps(idOf(path))).find((s) => s.key === "sales")!.text).toBe("Sales will call you.");
  });

  test("another organization's flow is 404 on every route", async () => {
    const owner = await setupOrg(app);
    const path = await menuFlow(owner.client, owner.organization.id);
    const { client } = await setupOrg(app);
    expect((await client.get(path)).status).toBe(404);
    expect((await client.get(`${path}?step=menu`)).status).toBe(404);
    for (const [p, data] of [
      [`${path}/settings`, { name: "Stolen", followUps: "" }],
      [`${path}/steps`, step({ key: "x", text: "x" })],
      [`${path}/steps/sales`, step({ key: "sales", text: "changed" })],
      [`${path}/steps/sales/delete`, {}],
      [`${path}/publish`, {}],
      [`${path}/draft`, {}],
      [`${path}/try`, {}],
    ] as [string, Record<string, string>][]) {
      expect((await client.postForm(p, data, { htmx: true })).status).toBe(404);
    }
    expect(await (await client.get("/flows")).text()).not.toContain(idOf(path));
    const [flow] = await db
      .select()
      .from(flows)
      .where(and(eq(flows.id, idOf(path))));
    expect(flow!.name).toBe("Menu");
    expect(flow!.status).toBe("draft");
  });

  test("step text and names with markup are rendered escaped", async () => {
    const { client, organization } = await setupOrg(app);
    const xss = "<img src=x onerror=alert(1)>";
    const path = await newFlow(client, xss);
    await saveStep(
      systemCaller("test", organization.id),
      idOf(path),
      flowStepSchema.parse({ key: "a", type: "choice", text: xss, transitions: { [xss]: "b" } }),
    );
    const html = await (await client.get(path)).text();
    expect(html).not.toContain(xss);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    const list = await (await client.get("/flows")).text();
    expect(list).not.toContain(xss);
    const tried = await (await client.postForm(`${path}/try`, {}, { htmx: true })).text();
    expect(tried).not.toContain(xss);
    expect(tried).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
