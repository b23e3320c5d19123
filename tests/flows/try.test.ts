import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { workflows } from "@/db/schema";
import { api, type TestClient } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();

async function workflowOf(organizationId: string | null, name: string) {
  const [w] = await db.insert(workflows).values({ organizationId, provider: "openai", name, config: {} }).returning();
  return w!;
}

/**
 * A draft flow whose only step hands the contact to `workflowId`, and the started try-it run's response.
 * The step goes in through the API, which (like any draft) accepts an id checked only at publish.
 */
async function tryCallingWorkflow(ctx: { client: TestClient; key: string }, workflowId: string) {
  const res = await ctx.client.postForm("/flows", { name: "Calls a workflow" }, { htmx: true });
  const path = res.headers.get("hx-redirect")!;
  const saved = await api(app, "POST", `/v1${path}/steps`, ctx.key, { key: "call", type: "call_workflow", config: { workflowId } });
  expect(saved.status).toBe(201);
  return ctx.client.postForm(`${path}/try`, {}, { htmx: true });
}

describe("flow try-it reads workflows of the caller's organization only", () => {
  test("a draft step naming another organization's workflow answers 404 without its name", async () => {
    const mine = await setupOrg(app);
    const theirs = await setupOrg(app);
    const secret = await workflowOf(theirs.organization.id, "Acme confidential pricing bot");

    const res = await tryCallingWorkflow(mine, secret.id);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("Acme confidential");
  });

  test("its own workflow (or a system one) is named in the transcript", async () => {
    const ctx = await setupOrg(app);
    const own = await workflowOf(ctx.organization.id, "Sales agent");
    const ownRun = await tryCallingWorkflow(ctx, own.id);
    expect(ownRun.status).toBe(200);
    expect(await ownRun.text()).toContain("[handed to workflow Sales agent]");

    const system = await workflowOf(null, "Platform concierge");
    const systemRun = await tryCallingWorkflow(ctx, system.id);
    expect(systemRun.status).toBe(200);
    expect(await systemRun.text()).toContain("[handed to workflow Platform concierge]");
  });
});
