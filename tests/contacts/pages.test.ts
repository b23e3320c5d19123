import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contacts } from "@/db/schema";
import { api, TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let xss: { id: string };
const XSS = `<img src=x onerror=alert("x")>`;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Contact pages A" });
  other = await setupOrg(app, { orgName: "Contact pages B" });
  xss = (await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511955554444", name: XSS, tags: ["vip"] })).body;
  await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511955553333", name: "Fabio", tags: ["lead"] });
});

describe("contacts list", () => {
  test("lists contacts with names escaped and the tag filter options", async () => {
    const res = await org.client.get("/contacts");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(XSS);
    expect(text).toContain("&lt;img src=x onerror=alert(&quot;x&quot;)&gt;");
    expect(text).toContain("Fabio");
    expect(text).toContain('<option value="vip"');
  });

  test("search and tag filter answer htmx with the results fragment", async () => {
    const byName = await (await org.client.get("/contacts?q=fab", { htmx: true })).text();
    expect(byName.startsWith('<div id="contact-results"')).toBe(true);
    expect(byName).toContain("Fabio");
    expect(byName).not.toContain("+5511955554444");
    const byTag = await (await org.client.get("/contacts?tag=vip", { htmx: true })).text();
    expect(byTag).toContain("+5511955554444");
    expect(byTag).not.toContain("Fabio");
    const byPhone = await (await org.client.get("/contacts?q=955553333", { htmx: true })).text();
    expect(byPhone).toContain("Fabio");
  });

  test("adding a contact: 422 with field errors, then success", async () => {
    let res = await org.client.postForm("/contacts", { phone: "nope", name: "Gil", tags: "" }, { htmx: true });
    expect(res.status).toBe(422);
    let text = await res.text();
    expect(text).toContain('id="new-contact"');
    expect(text).toContain("Not a valid phone number");
    expect(text).toContain('value="Gil"');
    res = await org.client.postForm("/contacts", { phone: "+5511955554444", name: "dup" }, { htmx: true });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("already exists");
    res = await org.client.postForm("/contacts", { phone: "+55 11 95555-2222", name: "Gil", tags: "New, vip" });
    expect(res.status).toBe(303);
    const [row] = await db.select().from(contacts).where(eq(contacts.phone, "+5511955552222"));
    expect(row).toMatchObject({ name: "Gil", tags: ["new", "vip"], organizationId: org.organization.id });
    expect(res.headers.get("location")).toBe(`/contacts/${row!.id}`);
    // Plain (non-htmx) error: the whole page with the form open.
    res = await org.client.postForm("/contacts", { phone: "x" });
    expect(res.status).toBe(422);
    text = await res.text();
    expect(text).toContain("<h1>Contacts</h1>");
  });
});

describe("contact page", () => {
  test("edit name and tags, with 422 on invalid input", async () => {
    let res = await org.client.postForm(`/contacts/${xss.id}`, { name: "Helena", tags: "vip, <bad>" }, { htmx: true });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('id="contact-form"');
    res = await org.client.postForm(`/contacts/${xss.id}`, { name: "Helena", tags: "vip, gold", optedOut: "on" });
    expect(res.status).toBe(303);
    const [row] = await db.select().from(contacts).where(eq(contacts.id, xss.id));
    expect(row).toMatchObject({ name: "Helena", tags: ["vip", "gold"], optedOut: true, blocked: false });
    const page = await (await org.client.get(`/contacts/${xss.id}`)).text();
    expect(page).toContain("Contact saved");
    expect(page).toContain('value="vip, gold"');
  });

  test("block and unblock from the list swap the row", async () => {
    let res = await org.client.postForm(`/contacts/${xss.id}/block`, {}, { htmx: true });
    expect(res.status).toBe(200);
    let text = await res.text();
    expect(text.startsWith(`<tr id="contact-${xss.id}"`)).toBe(true);
    expect(text).toContain("Unblock");
    expect((await db.select().from(contacts).where(eq(contacts.id, xss.id)))[0]!.blocked).toBe(true);
    res = await org.client.postForm(`/contacts/${xss.id}/unblock`, {}, { htmx: true });
    text = await res.text();
    expect(text).toContain(">Block<");
    res = await org.client.postForm(`/contacts/${xss.id}/opt-in`, {});
    expect(res.status).toBe(303);
    expect((await db.select().from(contacts).where(eq(contacts.id, xss.id)))[0]!.optedOut).toBe(false);
    expect((await org.client.postForm(`/contacts/${xss.id}/explode`, {})).status).toBe(404);
  });

  test("agents cannot delete; owners can", async () => {
    const created = (await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511955551111" })).body;
    const agent = await createMember(org.organization.id, "agent");
    const agentClient = await signIn(app, agent.id, org.organization.id);
    expect((await agentClient.get(`/contacts/${created.id}`)).status).toBe(200);
    expect((await agentClient.postForm(`/contacts/${created.id}/delete`, {})).status).toBe(403);
    const res = await org.client.postForm(`/contacts/${created.id}/delete`, {});
    expect(res.status).toBe(303);
    expect((await org.client.get(`/contacts/${created.id}`)).status).toBe(404);
  });
});

describe("isolation and auth", () => {
  const routes = (id: string): [string, string, Record<string, string>?][] => [
    ["GET", `/contacts/${id}`],
    ["POST", `/contacts/${id}`, { name: "hijack" }],
    ["POST", `/contacts/${id}/block`, {}],
    ["POST", `/contacts/${id}/opt-out`, {}],
    ["POST", `/contacts/${id}/delete`, {}],
  ];

  test("another organization's contact is a 404 and is left untouched", async () => {
    for (const [method, path, form] of routes(xss.id)) {
      const res = method === "GET" ? await other.client.get(path) : await other.client.postForm(path, form ?? {});
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 404`);
    }
    const [row] = await db.select().from(contacts).where(eq(contacts.id, xss.id));
    expect(row!.name).toBe("Helena");
    expect(row!.blocked).toBe(false);
  });

  test("logged out redirects to the login", async () => {
    const anon = new TestClient(app);
    for (const [method, path, form] of [...routes(xss.id), ["GET", "/contacts"], ["POST", "/contacts", { phone: "+5511955550000" }]] as [
      string,
      string,
      Record<string, string>?,
    ][]) {
      const res = method === "GET" ? await anon.get(path) : await anon.postForm(path, form ?? {});
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 303`);
      expect(res.headers.get("location")).toStartWith("/login");
    }
  });
});
