// Migration 0025: a workflow stored with the pre-AI-SDK `config.tools` array (never sent to a model)
// could not be saved again once tools became an object of switches; the migration removes the array.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { workflows } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
const MIGRATION = readFileSync(resolve(import.meta.dir, "../../drizzle/0025_legacy_workflow_tools.sql"), "utf8");

test("a workflow with the legacy tools array saves again after the migration; other workflows keep their tools", async () => {
  const org = await setupOrg(app);
  const { secret: key } = await createApiKey({ organizationId: org.organization.id, name: "k", scopes: ["*"] });
  const create = (name: string, tools?: unknown) =>
    api(app, "POST", "/v1/workflows", key, {
      name,
      provider: "openai",
      config: { model: "gpt-4o-mini", systemPrompt: "Be brief.", ...(tools ? { tools } : {}) },
    });
  const legacy = await create("legacy");
  expect(legacy.status).toBe(201);
  const current = await create("current", { builtin: ["add_tag"] });
  expect(current.status).toBe(201);
  await db.execute(sql`update workflows set config = config || '{"tools":[{"type":"function","name":"x"}]}'::jsonb where id = ${legacy.body.id}`);

  const before = await api(app, "PATCH", `/v1/workflows/${legacy.body.id}`, key, { name: "legacy renamed", config: { model: "gpt-4o" } });
  expect(before.status).toBe(422);

  await db.execute(sql.raw(MIGRATION));

  const after = await api(app, "PATCH", `/v1/workflows/${legacy.body.id}`, key, { name: "legacy renamed", config: { model: "gpt-4o" } });
  expect(after.status).toBe(200);
  expect(after.body.name).toBe("legacy renamed");
  const [legacyRow] = await db.select().from(workflows).where(eq(workflows.id, legacy.body.id));
  expect((legacyRow!.config as Record<string, unknown>).tools).toBeUndefined();
  const [currentRow] = await db.select().from(workflows).where(eq(workflows.id, current.body.id));
  expect((currentRow!.config as { tools?: { builtin?: string[] } }).tools?.builtin).toEqual(["add_tag"]);
});
