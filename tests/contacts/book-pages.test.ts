import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { processDueImports } from "@/features/contacts/contact-import.service";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Book pages" });
});

describe("contact book pages", () => {
  test("define a field, upload a CSV, map its columns, start and see the result; export", async () => {
    let res = await org.client.postForm("/contacts/fields", { key: "plano", label: "Plano", type: "text" });
    expect(res.status).toBe(303);
    res = await org.client.postForm("/contacts/fields", { key: "Bad key", label: "x", type: "text" });
    expect(res.status).toBe(422);

    const form = new FormData();
    form.append("file", new File(["Celular;Nome;Plano\n(81) 98888-1111;Zé <b>;ouro\nxx;Bad;\n"], "lista.csv", { type: "text/csv" }));
    res = await org.client.request("/contacts/import", { method: "POST", body: form });
    expect(res.status).toBe(303);
    const importPath = res.headers.get("location")!;
    let html = await (await org.client.get(importPath)).text();
    expect(html).toContain("lista.csv");
    expect(html).toContain('<option value="phone" selected');
    expect(html).toContain('<option value="custom:plano" selected');
    expect(html).not.toContain("Zé <b>");

    res = await org.client.postForm(`${importPath}/start`, { "mapping.1": "name" });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Choose the phone column");
    res = await org.client.postForm(`${importPath}/start`, { "mapping.0": "phone", "mapping.1": "name", "mapping.2": "custom:plano" });
    expect(res.status).toBe(303);
    await processDueImports();
    html = await (await org.client.get(importPath)).text();
    expect(html).toContain('data-status="done"');
    expect(html).toContain("1 created");
    expect(html).toContain("1 rejected");
    // A page that starts listening after the import finished gets its card as it is now, before "ready".
    const stream = await org.client.get(`${importPath}/stream`);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let frames = "";
    while (!frames.includes("event: ready")) {
      const { done, value } = await reader.read();
      if (done) break;
      // In process (app.handle) the stream hands over the strings it was given.
      frames += typeof value === "string" ? value : decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    const beforeReady = frames.slice(0, frames.indexOf("event: ready"));
    expect(beforeReady).toContain("event: progress");
    expect(beforeReady).toContain('data-status="done"');
    expect(beforeReady).toContain("1 created");
    const rejects = await (await org.client.get(`${importPath}/rejects.csv`)).text();
    expect(rejects).toContain("3,invalid phone");

    const csv = await (await org.client.get("/contacts/export.csv")).text();
    expect(csv).toContain("+5581988881111");
    expect(csv).toContain("ouro");

    const agent = await createMember(org.organization.id, "agent");
    const agentClient = await signIn(app, agent.id, org.organization.id);
    expect((await agentClient.get("/contacts/import")).status).toBe(403);
    expect((await agentClient.get("/contacts/export.csv")).status).toBe(403);
    expect((await agentClient.postForm("/contacts/fields", { key: "x", label: "X", type: "text" })).status).toBe(403);
  });
});
