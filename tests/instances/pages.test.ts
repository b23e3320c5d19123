import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, messages } from "@/db/schema";
import { TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();

async function createViaForm(client: TestClient, name = "Sales") {
  const res = await client.postForm("/instances", { name, provider: "sandbox" });
  expect(res.status).toBe(303);
  const location = res.headers.get("location")!;
  expect(location).toMatch(/^\/instances\/[0-9a-f-]{36}$/);
  return location.split("/").pop()!;
}

describe("instance admin pages", () => {
  test("logged out: pages redirect to the login, actions too", async () => {
    const client = new TestClient(app);
    const id = crypto.randomUUID();
    for (const path of ["/instances", `/instances/${id}`, `/instances/${id}/connection`]) {
      const res = await client.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toStartWith("/login");
    }
    for (const path of ["/instances", `/instances/${id}/connect`, `/instances/${id}/scan`, `/instances/${id}/delete`, `/instances/${id}/test-message`]) {
      const res = await client.postForm(path, {});
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toStartWith("/login");
    }
  });

  test("list, create with field errors (422), then the instance page", async () => {
    const { client, organization } = await setupOrg(app);
    const empty = await client.get("/instances");
    expect(empty.status).toBe(200);
    const html = await empty.text();
    expect(html).toContain("No instances yet");
    expect(html).toContain('action="/instances"');

    const invalid = await client.postForm("/instances", { name: "", provider: "sandbox" });
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toContain("Enter a name");
    const cloudMissing = await client.postForm(
      "/instances",
      { name: "Meta", provider: "cloud", phoneNumberId: "123", accessToken: "tok-secret" },
      { htmx: true },
    );
    expect(cloudMissing.status).toBe(422);
    const fragment = await cloudMissing.text();
    expect(fragment).toContain('id="create-instance"');
    expect(fragment).toContain("Enter the app secret");
    expect(fragment).not.toContain("tok-secret");

    const id = await createViaForm(client, 'Sales <b>team</b> "x"><script>');
    const page = await client.get(`/instances/${id}`);
    expect(page.status).toBe(200);
    const body = await page.text();
    // Escaped as text, and quotes escaped inside attributes (no breaking out of value="…").
    expect(body).toContain('<h1 style="margin:0">Sales &lt;b&gt;team&lt;/b&gt; &quot;x&quot;&gt;&lt;script&gt;</h1>');
    expect(body).toContain('value="Sales <b>team</b> &#34;x&#34;><script>"');
    expect(body).not.toContain('"x">');
    expect(body).toContain("Disconnected");
    expect(body).toContain(`/instances/${id}/connect`);
    const list = await (await client.get("/instances")).text();
    expect(list).toContain(`/instances/${id}`);
    expect(list).toContain('data-status="disconnected"');
    expect(await db.$count(instances, eq(instances.organizationId, organization.id))).toBe(1);
  });

  test("connect shows the QR and polls; simulate scan connects and polling stops", async () => {
    const { client } = await setupOrg(app);
    const id = await createViaForm(client);
    const connect = await client.postForm(`/instances/${id}/connect`, {}, { htmx: true });
    expect(connect.status).toBe(200);
    const panel = await connect.text();
    expect(panel).toContain('id="connection"');
    expect(panel).toContain('src="data:image/png;base64,');
    expect(panel).toContain('hx-trigger="every 2s"');
    expect(panel).toContain(`hx-get="/instances/${id}/connection"`);
    expect(panel).toContain("Simulate scan");

    const polled = await (await client.get(`/instances/${id}/connection`, { htmx: true })).text();
    expect(polled).toContain("data:image/png;base64,");

    const scan = await client.postForm(`/instances/${id}/scan`, {}, { htmx: true });
    const connected = await scan.text();
    expect(connected).toContain('data-status="connected"');
    expect(connected).not.toContain("every 2s");
    expect(connected).toContain("Log out");
    const after = await (await client.get(`/instances/${id}/connection`, { htmx: true })).text();
    expect(after).toContain('data-status="connected"');

    const logout = await client.postForm(`/instances/${id}/logout`, {}, { htmx: true });
    expect(await logout.text()).toContain('data-status="logged_out"');
    // Without htmx the action redirects back to the page.
    const plain = await client.postForm(`/instances/${id}/connect`, {});
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe(`/instances/${id}`);
  });

  test("pairing code, rename, test message, inbound simulator, delete", async () => {
    const { client, organization } = await setupOrg(app);
    const id = await createViaForm(client);
    const pairing = await client.postForm(`/instances/${id}/pairing-code`, { phone: "+5511999990001" }, { htmx: true });
    expect(pairing.status).toBe(200);
    expect(await pairing.text()).toMatch(/data-pairing-code[^>]*>[A-Z0-9]{8}</);
    const badPhone = await client.postForm(`/instances/${id}/pairing-code`, { phone: "x" }, { htmx: true });
    expect(badPhone.status).toBe(422);

    const rename = await client.postForm(`/instances/${id}/rename`, { name: "Support" }, { htmx: true });
    expect(rename.status).toBe(200);
    expect(await rename.text()).toContain("Name saved");
    const [row] = await db.select().from(instances).where(eq(instances.id, id));
    expect(row!.name).toBe("Support");
    const tooLong = await client.postForm(`/instances/${id}/rename`, { name: "x".repeat(81) }, { htmx: true });
    expect(tooLong.status).toBe(422);

    // Not connected yet: the test message explains instead of queueing.
    const early = await client.postForm(`/instances/${id}/test-message`, { to: "+5511999990001", text: "hi" }, { htmx: true });
    expect(early.status).toBe(422);
    expect(await early.text()).toContain("not connected");

    await client.postForm(`/instances/${id}/connect`, {}, { htmx: true });
    await client.postForm(`/instances/${id}/scan`, {}, { htmx: true });
    const test = await client.postForm(`/instances/${id}/test-message`, { to: "+5511999990001", text: "hello" }, { htmx: true });
    expect(test.status).toBe(200);
    expect(await test.text()).toContain("Queued for +5511999990001");
    const badTo = await client.postForm(`/instances/${id}/test-message`, { to: "nope", text: "hello" }, { htmx: true });
    expect(badTo.status).toBe(422);
    const queued = await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, id), eq(messages.direction, "outbound")));
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ sentBy: "user", status: "queued", body: "hello" });

    const inbound = await client.postForm(`/instances/${id}/simulate-inbound`, { from: "+5511988887777", name: "Maria", text: "Oi!" }, { htmx: true });
    expect(inbound.status).toBe(200);
    expect(await inbound.text()).toContain("Received");
    const received = await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, id), eq(messages.direction, "inbound")));
    expect(received.map((m) => m.body)).toEqual(["Oi!"]);
    const emptyText = await client.postForm(`/instances/${id}/simulate-inbound`, { from: "+5511988887777", text: "" }, { htmx: true });
    expect(emptyText.status).toBe(422);

    const del = await client.postForm(`/instances/${id}/delete`, {}, { htmx: true });
    expect(del.status).toBe(204);
    expect(del.headers.get("hx-redirect")).toBe("/instances");
    expect(await db.$count(instances, eq(instances.organizationId, organization.id))).toBe(0);
  });

  test("agents view; only supervisors and up manage", async () => {
    const { client: owner, organization } = await setupOrg(app);
    const id = await createViaForm(owner);
    const agent = await signIn(app, (await createMember(organization.id, "agent")).id, organization.id);
    const list = await agent.get("/instances");
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain(`/instances/${id}`);
    expect(html).not.toContain('id="create-instance"');
    const page = await (await agent.get(`/instances/${id}`)).text();
    expect(page).not.toContain(`/instances/${id}/connect`);
    expect(page).not.toContain("Delete instance");
    for (const path of ["/instances", `/instances/${id}/connect`, `/instances/${id}/rename`, `/instances/${id}/delete`, `/instances/${id}/test-message`]) {
      const res = await agent.postForm(path, { name: "x" });
      expect(res.status, path).toBe(403);
    }
    const supervisor = await signIn(app, (await createMember(organization.id, "supervisor")).id, organization.id);
    expect((await supervisor.postForm(`/instances/${id}/rename`, { name: "By supervisor" }, { htmx: true })).status).toBe(200);
  });

  test("another organization's instance is 404 on every page and action", async () => {
    const theirs = await setupOrg(app);
    const id = await createViaForm(theirs.client);
    const { client } = await setupOrg(app);
    for (const path of [`/instances/${id}`, `/instances/${id}/connection`, "/instances/not-a-uuid"]) {
      expect((await client.get(path)).status, path).toBe(404);
    }
    for (const action of ["connect", "scan", "logout", "pairing-code", "rename", "test-message", "simulate-inbound", "delete"]) {
      const res = await client.postForm(
        `/instances/${id}/${action}`,
        { name: "x", phone: "+5511999990001", to: "+5511999990001", text: "x", from: "+5511999990001" },
        { htmx: true },
      );
      expect(res.status, action).toBe(404);
    }
    const [row] = await db.select().from(instances).where(eq(instances.id, id));
    expect(row).toMatchObject({ name: "Sales", status: "disconnected" });
  });
});
