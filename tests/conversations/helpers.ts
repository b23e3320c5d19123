import { expect } from "bun:test";
import type { App } from "@/app";
import { api } from "../helpers/client";

/** A sandbox instance created, connected and paired through the public API, as a user would. */
export async function connectedSandbox(app: App, key: string, name = "Sandbox"): Promise<string> {
  const created = await api(app, "POST", "/v1/instances", key, { name, provider: "sandbox" });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  expect((await api(app, "POST", `/v1/instances/${id}/connect`, key)).status).toBeLessThan(300);
  const scanned = await api(app, "POST", `/v1/sandbox/instances/${id}/scan`, key, {});
  expect(scanned.status).toBe(200);
  return id;
}

/** A simulated contact writes to the sandbox instance; returns the stored ids. */
export async function inbound(
  app: App,
  key: string,
  instanceId: string,
  body: { from: string; text?: string; name?: string; media?: Record<string, unknown> },
) {
  const res = await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, key, body);
  expect(res.status).toBe(201);
  return res.body as { messageId: string; conversationId: string; contactId: string };
}
