import { expect } from "bun:test";
import type { App } from "@/app";
import { api } from "../helpers/client";

/** A sandbox instance created, connected and paired through the public API, as a user would. */
export async function connectedSandbox(app: App, key: string, name = "Sandbox"): Promise<string> {
  const created = await api(app, "POST", "/v1/instances", key, { name });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await api(app, "POST", `/v1/instances/${id}/connect`, key)).status).toBe(200);
  expect((await api(app, "POST", `/v1/sandbox/instances/${id}/scan`, key, {})).status).toBe(200);
  return id;
}
