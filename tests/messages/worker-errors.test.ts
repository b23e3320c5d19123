import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances, messages } from "@/db/schema";
import { encryptSecret } from "@/lib/crypto";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();

/** A WuzAPI server (documented send protocol) that answers every send with the same message id. */
let wuzapi: ReturnType<typeof Bun.serve> | undefined;
beforeAll(() => {
  wuzapi = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => Response.json({ code: 200, data: { Details: "Sent", Id: "WA-SAME-ID", Timestamp: Date.now() }, success: true }),
  });
  config.wuzapi.url = `http://127.0.0.1:${wuzapi.port}`;
  config.wuzapi.adminToken = "admin";
});
afterAll(() => wuzapi?.stop(true));

describe("outbound worker: an unexpected database error", () => {
  test("is stored on the message (and shown through the API) as its code, never as SQL with parameters", async () => {
    const { key, organization } = await setupOrg(app);
    const [instance] = await db
      .insert(instances)
      .values({
        organizationId: organization.id,
        name: "Real",
        provider: "wuzapi",
        providerInstanceId: "u-1",
        providerTokenEnc: encryptSecret("t"),
        status: "connected",
      })
      .returning();
    const send = (text: string) => api(app, "POST", "/v1/messages", key, { to: "+5511999990001", instanceId: instance!.id, type: "text", text });
    const first = await send("first");
    expect(await runOutboundOnce()).toBe(1);
    // The provider answers the second send with the id the first one already holds: recording it breaks the unique index.
    const second = await send("Segredo: o cartão 4111 1111 1111 1111");
    expect(await runOutboundOnce()).toBe(1);

    const [row] = await db.select().from(messages).where(eq(messages.id, second.body.id));
    expect(row!.status).toBe("queued");
    expect(row!.error).toContain("23505");
    for (const leak of ["Failed query", 'update "messages"', "params", second.body.id, "WA-SAME-ID"]) expect(row!.error).not.toContain(leak);
    const shown = await api(app, "GET", `/v1/messages/${second.body.id}`, key);
    expect(shown.body.error).toBe(row!.error);
    expect(first.status).toBe(202);
  });
});
