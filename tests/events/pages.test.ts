import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { encryptSecret } from "@/lib/crypto";
import { isoDateInZone } from "@/lib/i18n";
import { TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { gate } from "../helpers/wait";
import { readFrames } from "../helpers/sse";

const app = createApp();

async function instanceOf(organizationId: string, name: string) {
  const [row] = await db.insert(instances).values({ organizationId, name }).returning();
  return row!;
}

describe("/events admin page", () => {
  test("logged out → sign-in redirect for the list, the detail and the stream", async () => {
    const anonymous = new TestClient(app);
    for (const path of ["/events", `/events/${crypto.randomUUID()}`, "/events/stream"]) {
      const res = await anonymous.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toStartWith("/login");
    }
  });

  test("an agent sees the list with filters, cursor pages and escaped payloads", async () => {
    const { organization } = await setupOrg(app);
    const agent = await signIn(app, (await createMember(organization.id, "agent")).id, organization.id);
    const inst = await instanceOf(organization.id, "Loja <Centro>");
    const evil = await recordEvent({
      organizationId: organization.id,
      instanceId: inst.id,
      type: "message.received",
      data: { text: "<script>alert(1)</script>" },
    });
    for (let i = 0; i < 55; i++) await recordEvent({ organizationId: organization.id, type: "contact.created", data: { i } });

    const page = await agent.get("/events");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="event-rows"');
    // The stream URL carries the page's filters (none here) and its render time, for the tail to catch up from.
    expect(html).toMatch(/data-stream="\/events\/stream\?since=\d+"/);
    expect(html).not.toContain("<script>alert(1)</script>");
    expect((html.match(/class="event-row"/g) ?? []).length).toBe(50);
    const older = /href="\/events\?before=([0-9a-f-]{36})"/.exec(html);
    expect(older).not.toBeNull();
    const page2 = await (await agent.get(`/events?before=${older![1]}`)).text();
    expect((page2.match(/class="event-row"/g) ?? []).length).toBe(6);
    expect(page2).toContain("&lt;script&gt;");
    expect(page2).toContain("Loja &lt;Centro&gt;");

    const filtered = await (await agent.get(`/events?type=message.received&instanceId=${inst.id}`)).text();
    expect((filtered.match(/class="event-row"/g) ?? []).length).toBe(1);
    // Filter days are the reader's calendar days (the organization's zone for a member without one).
    const today = isoDateInZone(new Date(), organization.timeZone);
    const byDate = await (await agent.get(`/events?from=${today}&to=${today}&type=message.received`)).text();
    expect((byDate.match(/class="event-row"/g) ?? []).length).toBe(1);
    const past = await (await agent.get(`/events?from=2020-01-01&to=2020-01-02`)).text();
    expect(past).not.toContain('class="event-row"');

    const detail = await agent.get(`/events/${evil.id}`);
    expect(detail.status).toBe(200);
    const detailHtml = await detail.text();
    expect(detailHtml).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(detailHtml).not.toContain("<script>alert(1)</script>");
    expect(detailHtml).toContain(evil.id);
    // Agents do not manage webhooks, so the delivery section is not shown to them.
    expect(detailHtml).not.toContain("Webhook deliveries");
  });

  test("bad filters re-render with field errors and 422", async () => {
    const { client } = await setupOrg(app);
    for (const q of ["type=nope", "from=2025-13-45", "from=2025-02-10&to=2025-02-01", "instanceId=abc"]) {
      const res = await client.get(`/events?${q}`);
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('class="field has-error"');
    }
  });

  test("another organization's event or instance is a 404", async () => {
    const mine = await setupOrg(app);
    const theirs = await setupOrg(app);
    const inst = await instanceOf(theirs.organization.id, "Theirs");
    const event = await recordEvent({ organizationId: theirs.organization.id, instanceId: inst.id, type: "message.sent", data: {} });
    expect((await mine.client.get(`/events/${event.id}`)).status).toBe(404);
    expect((await mine.client.get(`/events/not-a-uuid`)).status).toBe(404);
    expect((await mine.client.get(`/events?instanceId=${inst.id}`)).status).toBe(404);
    expect((await mine.client.get(`/events?before=${event.id}`)).status).toBe(404);
  });

  test("the owner sees where an event was delivered", async () => {
    const { organization, client } = await setupOrg(app);
    await db
      .insert(webhooks)
      .values({ organizationId: organization.id, name: "CRM <sync>", url: "https://example.test/hook", secretEnc: encryptSecret("whsec_x") });
    const event = await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    const html = await (await client.get(`/events/${event.id}`)).text();
    expect(html).toContain("Webhook deliveries");
    expect(html).toContain("CRM &lt;sync&gt;");
    expect(html).toContain("pending");
  });

  test("live tail: the SSE stream pushes new events of the organization as rows, honouring filters", async () => {
    const { organization, client } = await setupOrg(app);
    const other = await setupOrg(app);
    const res = await client.get("/events/stream?type=message.sent");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");

    // The subscription becomes active right after the `ready` frame: from then on, keep recording until a row arrives.
    let stop = false;
    const ready = gate();
    const recorded: string[] = [];
    const producer = (async () => {
      await ready.wait;
      for (let i = 0; i < 80 && !stop; i++) {
        await recordEvent({ organizationId: other.organization.id, type: "message.sent", data: { text: "other org" } });
        await recordEvent({ organizationId: organization.id, type: "message.received", data: { text: "filtered out" } });
        const e = await recordEvent({ organizationId: organization.id, type: "message.sent", data: { text: "hello <b>live</b>" } });
        recorded.push(e.id);
      }
    })();
    const frames = await readFrames(res, (f) => {
      if (f.event === "ready") ready.open();
      return f.event === "event";
    });
    stop = true;
    ready.open();
    await producer;
    expect(frames[0]!.event).toBe("ready");
    const row = frames.find((f) => f.event === "event");
    expect(row).toBeDefined();
    expect(row!.data).toContain('class="event-row"');
    expect(recorded.some((id) => row!.data.includes(`id="event-${id}"`))).toBe(true);
    expect(row!.data).toContain("message.sent");
    expect(row!.data).toContain("&lt;b&gt;live&lt;/b&gt;");
    expect(row!.data).not.toContain("other org");
    for (const f of frames) expect(f.data).not.toContain("filtered out");
  }, 20_000);
});
