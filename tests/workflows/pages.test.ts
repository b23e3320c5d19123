import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { config } from "@/config";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { TestClient } from "../helpers/client";
import { readSse, startOpenAiServer } from "./ai-servers";

const app = createApp();
const openai = startOpenAiServer();
// The test model server plays the operator's OPENAI_BASE_URL (the only endpoint a workflow may use without its own key).
config.openai.baseUrl = openai.baseUrl;
afterAll(() => openai.stop());

const form = (extra: Record<string, string> = {}) => ({
  name: "Support bot",
  provider: "openai",
  "config.model": "gpt-test",
  "config.baseUrl": openai.baseUrl,
  "config.temperature": "0.3",
  "config.systemPrompt": "You help.",
  ...extra,
});

describe("workflow pages", () => {
  test("logged out → redirect to sign in", async () => {
    const res = await new TestClient(app).get("/workflows");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("/login");
  });

  test("create with field errors (422), then create, edit, chat and delete", async () => {
    const { client } = await setupOrg(app);
    const bad = await client.postForm("/workflows", form({ name: "", "config.temperature": "hot" }), { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Must be a number");
    expect(html).toContain('value="gpt-test"');

    const created = await client.postForm("/workflows", form(), { htmx: true });
    expect(created.status).toBe(204);
    const location = created.headers.get("hx-redirect")!;
    expect(location).toMatch(/^\/workflows\/[0-9a-f-]{36}$/);
    const page = await client.get(location);
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain("Test chat");
    expect(body).toContain("Support bot");

    const chat = await client.request(`${location}/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ text: "hello there" }),
    });
    const frames = await readSse(chat);
    expect(frames[0]!.event).toBe("thread");
    expect(
      frames
        .filter((f) => f.event === "token")
        .map((f) => f.data.content)
        .join(""),
    ).toBe("echo: hello there");
    const again = await readSse(
      await client.request(`${location}/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "and again", threadId: frames[0]!.data.id }),
      }),
    );
    expect(again.at(-1)!.event).toBe("done");
    expect(openai.state.requests.at(-1).messages.length).toBe(4); // system + 2 history + new

    const listed = await (await client.get(location)).text();
    expect(listed).toContain(">4<"); // message count of the test thread

    const edited = await client.postForm(location, { ...form({ name: "Renamed bot" }) }, { htmx: true });
    expect(edited.status).toBe(204);
    expect(await (await client.get(location)).text()).toContain("Renamed bot");

    const deleted = await client.postForm(`${location}/delete`, {});
    expect(deleted.status).toBe(303);
    expect((await client.get(location)).status).toBe(404);
  });

  test("agents can read and chat but not change workflows; other organizations get 404", async () => {
    const { client, organization } = await setupOrg(app);
    const created = await client.postForm("/workflows", form(), { htmx: true });
    const location = created.headers.get("hx-redirect")!;
    const agent = await createMember(organization.id, "agent");
    const agentClient = await signIn(app, agent.id, organization.id);
    expect((await agentClient.get(location)).status).toBe(200);
    expect((await agentClient.postForm(`${location}/delete`, {})).status).toBe(403);
    expect((await agentClient.postForm("/workflows", form())).status).toBe(403);

    const other = await setupOrg(app);
    expect((await other.client.get(location)).status).toBe(404);
    expect((await other.client.postForm(`${location}/delete`, {})).status).toBe(404);
    const chat = await other.client.request(`${location}/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "hi" }),
    });
    expect(chat.status).toBe(404);
  });

  test("a workflow named with markup renders as text", async () => {
    const { client } = await setupOrg(app);
    const created = await client.postForm("/workflows", form({ name: "<img src=x onerror=alert(1)>" }), { htmx: true });
    const html = await (await client.get(created.headers.get("hx-redirect")!)).text();
    // Only inside a quoted attribute value (where < and > are inert) may the raw text appear.
    expect(html).not.toMatch(/<img src=x onerror=alert\(1\)>(?!")/);
    expect(html).toContain("<h1>&lt;img src=x onerror=alert(1)&gt;</h1>");
  });
});

describe("binding a number to a workflow", () => {
  test("bind from the workflow page → the number's conversations are answered; unbind stops it", async () => {
    const { processDueReplies } = await import("@/features/automation/automation.service");
    const { connectedInstance, contactWrites, botTexts } = await import("../automation/helpers");
    openai.state.mode = "ok";
    openai.state.reply = () => "Bound reply";
    const { client, organization } = await setupOrg(app);
    const instance = await connectedInstance(organization.id);
    const created = await client.postForm("/workflows", form({ "config.debounceSeconds": "0" }), { htmx: true });
    const location = created.headers.get("hx-redirect")!;
    expect(await (await client.get(location)).text()).toContain("No number is bound yet");

    const other = await setupOrg(app);
    const foreign = await connectedInstance(other.organization.id);
    expect((await client.postForm(`${location}/bindings`, { instanceId: foreign.id })).status).toBe(404);
    expect((await other.client.postForm(`${location}/bindings`, { instanceId: instance.id })).status).toBe(404);

    expect((await client.postForm(`${location}/bindings`, { instanceId: instance.id })).status).toBe(303);
    const page = await (await client.get(location)).text();
    expect(page).toContain(instance.name);

    await contactWrites(instance, "+5511999990200", "hello");
    await processDueReplies(new Date(Date.now() + 2_000));
    expect(await botTexts(instance.id)).toEqual(["Bound reply"]);

    const triggerId = page.match(/bindings\/([0-9a-f-]{36})\/delete/)![1]!;
    expect((await client.postForm(`${location}/bindings/${triggerId}/delete`, {})).status).toBe(303);
    await contactWrites(instance, "+5511999990201", "anyone?");
    await contactWrites(instance, "+5511999990200", "still there?"); // a conversation bound before
    await processDueReplies(new Date(Date.now() + 2_000));
    expect(await botTexts(instance.id)).toEqual(["Bound reply"]);
  });
});
