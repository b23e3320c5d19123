import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Seg API A" });
  other = await setupOrg(app, { orgName: "Seg API B" });
  for (const [i, city, tags, optedOut] of [
    [1, "Recife", ["vip"], false],
    [2, "Recife", ["vip"], true],
    [3, "Recife", ["lead"], false],
    [4, "Olinda", ["vip"], false],
  ] as const)
    await api(app, "POST", "/v1/contacts", org.key, { phone: `+55819888800${i}0`, city, state: "PE", tags, optedOut });
});

describe("/v1/segments", () => {
  test("preview counts live, create/update/delete with counts, export, isolation and scopes", async () => {
    const preview = await api(app, "POST", "/v1/segments/preview", org.key, { tags: ["vip"], city: "recife" });
    expect(preview.status).toBe(200);
    expect(preview.body.count).toBe(1);
    expect(preview.body.preview[0].city).toBe("Recife");
    expect((await api(app, "POST", "/v1/segments/preview", org.key, { tags: ["vip"], city: "recife", excludeOptedOut: false })).body.count).toBe(2);

    const created = await api(app, "POST", "/v1/segments", org.key, { name: "VIP PE", filter: { tags: ["vip"], state: "pe" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "VIP PE", count: 2, filter: { tags: ["vip"], state: "PE", excludeOptedOut: true } });
    expect((await api(app, "POST", "/v1/segments", org.key, { name: "VIP PE" })).status).toBe(409);
    expect((await api(app, "POST", "/v1/segments", org.key, { name: "x", filter: { state: "ZZ" } })).status).toBe(422);
    expect((await api(app, "POST", "/v1/segments", org.key, { name: "x", filter: { lastInteractionAfter: "nope" } })).status).toBe(422);

    const patched = await api(app, "PATCH", `/v1/segments/${created.body.id}`, org.key, { filter: { city: "Olinda" } });
    expect(patched.body.count).toBe(1);
    const list = await api(app, "GET", "/v1/segments", org.key);
    expect(list.body.data.map((s: any) => [s.name, s.count])).toEqual([["VIP PE", 1]]);

    const csv = await app.handle(new Request(`http://localhost/v1/segments/${created.body.id}/export`, { headers: { authorization: `Bearer ${org.key}` } }));
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split("\n");
    expect(lines.length).toBe(2);
    expect(lines[1]).toContain("Olinda");

    for (const [method, path] of [
      ["GET", `/v1/segments/${created.body.id}`],
      ["PATCH", `/v1/segments/${created.body.id}`],
      ["DELETE", `/v1/segments/${created.body.id}`],
      ["GET", `/v1/segments/${created.body.id}/export`],
    ] as const)
      expect((await api(app, method, path, other.key, method === "PATCH" ? { name: "y" } : undefined)).status).toBe(404);
    const { secret } = await createApiKey({ organizationId: org.organization.id, name: "ro", scopes: ["contacts:read"] });
    expect((await api(app, "POST", "/v1/segments", secret, { name: "ro" })).status).toBe(403);
    expect((await api(app, "DELETE", `/v1/segments/${created.body.id}`, org.key)).status).toBe(204);
  });

  test("pages: the live preview answers while typing; agents see segments but cannot save them", async () => {
    const res = await org.client.postForm("/segments/preview", { name: "", tags: "vip", city: "", state: "PE" }, { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-count="2"');
    const saved = await org.client.postForm("/segments", { name: "Recife", city: "Recife", tags: "" });
    expect(saved.status).toBe(303);
    const page = await (await org.client.get(saved.headers.get("location")!)).text();
    expect(page).toContain("Recife");
    expect(page).toContain('data-count="2"');
    const agent = await createMember(org.organization.id, "agent");
    const agentClient = await signIn(app, agent.id, org.organization.id);
    expect((await agentClient.get("/segments")).status).toBe(200);
    expect((await agentClient.postForm("/segments", { name: "Agent", city: "x" })).status).toBe(403);
  });
});
