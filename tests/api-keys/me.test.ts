import { expect, test } from "bun:test";
import { createApp } from "@/app";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();

test("GET /v1/me describes the presented key, with rate-limit headers; no key → 401", async () => {
  const { organization } = await setupOrg(app);
  const { key, secret } = await createApiKey({ organizationId: organization.id, name: "reader", scopes: ["messages:read"], requestsPerMinute: 30 });
  const res = await api(app, "GET", "/v1/me", secret);
  expect(res.status).toBe(200);
  expect(res.body.apiKey).toMatchObject({ id: key.id, organizationId: organization.id, instanceId: null, scopes: ["messages:read"], requestsPerMinute: 30 });
  expect(JSON.stringify(res.body)).not.toContain(secret);
  expect(res.headers.get("x-ratelimit-limit")).toBe("30");
  expect((await api(app, "GET", "/v1/me")).status).toBe(401);
  expect((await api(app, "GET", "/v1/me", `lc_live_${"x".repeat(32)}`)).status).toBe(401);
});
