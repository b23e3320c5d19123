import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { messages } from "@/db/schema";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox } from "./helpers";

const app = createApp();
const TO = "+5511999990001";

const send = (key: string, body: Record<string, unknown>, idempotencyKey: string) =>
  api(app, "POST", "/v1/messages", key, { to: TO, type: "text", ...body }, { "Idempotency-Key": idempotencyKey });

const storedWith = async (organizationId: string, idempotencyKey: string) =>
  db.$count(messages, and(eq(messages.organizationId, organizationId), eq(messages.idempotencyKey, idempotencyKey)));

describe("Idempotency-Key on POST /v1/messages (Stripe's rules)", () => {
  test("reusing a key with a different body answers 422 idempotency_mismatch and stores nothing", async () => {
    const { key, organization } = await setupOrg(app);
    await connectedSandbox(app, key);
    const first = await send(key, { text: "Your order shipped" }, "order-7");
    expect(first.status).toBe(202);

    const other = await send(key, { text: "Your order was cancelled" }, "order-7");
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_mismatch");
    expect(other.body.error.details).toEqual([{ path: "Idempotency-Key", message: expect.stringContaining("different request body") }]);
    const otherRecipient = await api(
      app,
      "POST",
      "/v1/messages",
      key,
      { to: "+5511999990002", type: "text", text: "Your order shipped" },
      { "Idempotency-Key": "order-7" },
    );
    expect(otherRecipient.status).toBe(422);

    // The same request again (keys in another order, same values) still replays.
    const replay = await api(app, "POST", "/v1/messages", key, { text: "Your order shipped", type: "text", to: TO }, { "Idempotency-Key": "order-7" });
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await storedWith(organization.id, "order-7")).toBe(1);
  });

  test("20 parallel sends with one key store one message; the rest replay it or answer 409 while it is in flight, never 500", async () => {
    const { key, organization } = await setupOrg(app);
    await connectedSandbox(app, key);
    const racing = await Promise.all(Array.from({ length: 20 }, () => send(key, { text: "Exactly once" }, "race-20")));
    const statuses = racing.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    const accepted = racing.filter((r) => r.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((r) => r.body.id)).size).toBe(1);
    for (const busy of racing.filter((r) => r.status === 409)) {
      expect(busy.body.error.code).toBe("idempotency_key_in_use");
      expect(busy.headers.get("retry-after")).toBe("1");
    }
    expect(await storedWith(organization.id, "race-20")).toBe(1);

    // A retry after the first one finished always replays it.
    const retry = await send(key, { text: "Exactly once" }, "race-20");
    expect(retry.status).toBe(202);
    expect(retry.body.id).toBe(accepted[0]!.body.id);

    // Racing with different bodies: one wins, the others are told their body differs or to retry later.
    const mixed = await Promise.all(Array.from({ length: 10 }, (_, i) => send(key, { text: `Variant ${i}` }, "race-mixed")));
    expect(mixed.every((r) => [202, 409, 422].includes(r.status))).toBe(true);
    expect(mixed.filter((r) => r.status === 202)).toHaveLength(1);
    expect(await storedWith(organization.id, "race-mixed")).toBe(1);
  });
});
