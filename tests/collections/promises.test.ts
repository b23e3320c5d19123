import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, messages, paymentPromises, users } from "@/db/schema";
import { runPromiseSweep } from "@/features/collections/promise.service";
import { registerPaymentPromise } from "@/features/tools/tool.service";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let conv: { conversationId: string; contactId: string };
let foreignConv: { conversationId: string; contactId: string };

/** Noon in São Paulo (UTC-3) of a calendar day: the controllable clock of the sweep. */
const saoPauloNoon = (day: string) => new Date(`${day}T15:00:00Z`);

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Cobrança A" });
  other = await setupOrg(app, { orgName: "Cobrança B" });
  conv = await inbound(app, org.key, await connectedSandbox(app, org.key), { from: "+5511955550001", name: "Caio", text: "Pago dia 20" });
  foreignConv = await inbound(app, other.key, await connectedSandbox(app, other.key), { from: "+5511955550002", text: "oi" });
});

const reminders = () =>
  db
    .select({ text: messages.body, sentBy: messages.sentBy })
    .from(messages)
    .where(and(eq(messages.contactId, conv.contactId), eq(messages.direction, "outbound")));

describe("payment promises", () => {
  test("captured by an agent over the API: validation, isolation, filters", async () => {
    const created = await api(app, "POST", "/v1/collections/promises", org.key, {
      conversationId: conv.conversationId,
      amountCents: 32050,
      dueDate: "2031-03-20",
      method: "pix",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ amountCents: 32050, dueDate: "2031-03-20", method: "pix", status: "pending", contact: { id: conv.contactId } });
    expect(
      (await api(app, "POST", "/v1/collections/promises", org.key, { phone: "+5511955550001", amountCents: 1, dueDate: "2031-02-30" })).body.error.details[0]
        .path,
    ).toBe("dueDate");
    expect(
      (await api(app, "POST", "/v1/collections/promises", org.key, { phone: "+5511955550001", amountCents: 1, dueDate: "2031-02-03", method: "cheque" })).body
        .error.details[0].path,
    ).toBe("method");
    expect(
      (await api(app, "POST", "/v1/collections/promises", org.key, { conversationId: foreignConv.conversationId, amountCents: 1, dueDate: "2031-02-03" }))
        .status,
    ).toBe(422);
    expect((await api(app, "GET", `/v1/collections/promises/${created.body.id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/collections/promises/${created.body.id}`, other.key, { status: "fulfilled" })).status).toBe(404);
    const fulfilled = await api(app, "PATCH", `/v1/collections/promises/${created.body.id}`, org.key, { status: "fulfilled" });
    expect(fulfilled.body.status).toBe("fulfilled");
    expect(fulfilled.body.settledAt).not.toBeNull();
    expect((await api(app, "GET", "/v1/collections/promises?status=fulfilled", org.key)).body.data.map((p: { id: string }) => p.id)).toEqual([created.body.id]);
    expect((await api(app, "GET", "/v1/collections/promises", other.key)).body.data).toEqual([]);
  });

  test("a reminder the day before (once, through the outbound queue), broken after the day unless fulfilled — controllable clock", async () => {
    const due = "2031-05-20";
    const kept = await api(app, "POST", "/v1/collections/promises", org.key, {
      conversationId: conv.conversationId,
      amountCents: 15000,
      dueDate: due,
      method: "boleto",
    });
    // The AI tool captures another with a method.
    const ai = await registerPaymentPromise(
      { organizationId: org.organization.id, contactId: conv.contactId, conversationId: conv.conversationId, threadId: null },
      { amount: 99.9, dueDate: due, method: "card" },
    );
    expect(ai).toMatchObject({ method: "card", status: "pending", amount: "99.90" });
    const before = (await reminders()).length;

    // Two days before: nothing yet.
    expect(await runPromiseSweep(saoPauloNoon("2031-05-18"))).toMatchObject({ reminded: 0, broken: 0 });
    expect((await reminders()).length).toBe(before);

    // The day before: one reminder per promise, in the organization's language, queued as a bot message.
    const dayBefore = await runPromiseSweep(saoPauloNoon("2031-05-19"));
    expect(dayBefore.reminded).toBe(2);
    const sent = (await reminders()).slice(before);
    expect(sent).toHaveLength(2);
    expect(sent.every((m) => m.sentBy === "bot")).toBe(true);
    expect(sent.map((m) => m.text ?? "").join("\n")).toMatch(/R\$\s150,00/);
    expect(sent[0]!.text).toContain("Caio");
    // Running again (another process, or the next minute) sends nothing more.
    expect((await runPromiseSweep(saoPauloNoon("2031-05-19"))).reminded).toBe(0);
    expect((await reminders()).length).toBe(before + 2);

    // One is paid; on the day itself nothing is broken yet; the day after, the unpaid one is broken automatically.
    await api(app, "PATCH", `/v1/collections/promises/${kept.body.id}`, org.key, { status: "fulfilled" });
    expect((await runPromiseSweep(saoPauloNoon(due))).broken).toBe(0);
    // 23:30 on the 20th in São Paulo is already the 21st in UTC: still not broken (the organization's calendar).
    expect((await runPromiseSweep(new Date("2031-05-21T02:30:00Z"))).broken).toBe(0);
    expect((await runPromiseSweep(saoPauloNoon("2031-05-21"))).broken).toBe(1);
    const [aiRow] = await db.select().from(paymentPromises).where(eq(paymentPromises.id, ai.id));
    expect(aiRow!.status).toBe("broken");
    const [keptRow] = await db.select().from(paymentPromises).where(eq(paymentPromises.id, kept.body.id));
    expect(keptRow!.status).toBe("fulfilled");
    const audit = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, ai.id)));
    expect(audit.map((a) => a.action).sort()).toEqual(["payment_promise.broken", "payment_promise.reminded"]);
  });

  test("page: an agent records a promise from a conversation and marks it paid; Portuguese labels", async () => {
    const agent = await createMember(org.organization.id, "agent");
    await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, agent.id));
    const client = await signIn(app, agent.id, org.organization.id);
    const page = await (await client.get(`/collections/promises?conversationId=${conv.conversationId}`)).text();
    expect(page).toContain(`name="conversationId" value="${conv.conversationId}"`);
    expect(page).toContain("Promessas de pagamento");
    expect((await client.get(`/collections/promises?conversationId=${foreignConv.conversationId}`)).status).toBe(404);
    const created = await client.postForm(
      "/collections/promises",
      { conversationId: conv.conversationId, amountCents: "7700", dueDate: "2031-08-01", method: "other", notes: "" },
      { htmx: true },
    );
    expect(created.status).toBe(204);
    expect((await client.postForm("/collections/promises", { phone: "", amountCents: "x", dueDate: "" }, { htmx: true })).status).toBe(422);
    const [row] = await db
      .select()
      .from(paymentPromises)
      .where(and(eq(paymentPromises.organizationId, org.organization.id), eq(paymentPromises.amount, "77.00")));
    expect(row).toMatchObject({ method: "other", createdByUserId: agent.id });
    expect((await client.postForm(`/collections/promises/${row!.id}`, { status: "fulfilled" }, { htmx: true })).status).toBe(204);
    const list = await (await client.get("/collections/promises?status=fulfilled")).text();
    expect(list).toContain(`promise-${row!.id}`);
    expect(list).toContain("Paga");
    expect((await other.client.postForm(`/collections/promises/${row!.id}`, { status: "broken" }, { htmx: true })).status).toBe(404);
  });
});
