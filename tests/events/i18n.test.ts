// The event log speaks the reader's language: page, filters and their errors in Brazilian Portuguese for
// a pt-BR member, times in the organization's zone with the zone named, filter days on that calendar.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { events, users } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { api } from "../helpers/client";
import { portugueseOrg, setupOrg } from "../helpers/factories";
import { gate } from "../helpers/wait";

const app = createApp();
const PT = { "accept-language": "pt-BR" };

async function eventAt(organizationId: string, at: string) {
  const event = await recordEvent({ organizationId, type: "contact.created", data: { name: "Maria" } });
  await db
    .update(events)
    .set({ at: new Date(at) })
    .where(eq(events.id, event.id));
  return event;
}

/** Reads the stream until its first `event` frame, calling `produce` from the moment it is subscribed until then. */
async function nextEventFrame(res: Response, produce: () => Promise<unknown>): Promise<string> {
  const reader = (res.body as ReadableStream<Uint8Array | string>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let found = false;
  const subscribed = gate();
  // The subscription settles right after the `ready` frame: keep producing until a frame arrives (bounded).
  const producing = (async () => {
    await subscribed.wait;
    for (let i = 0; i < 80 && !found; i++) await produce();
  })();
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error("no event frame");
      buffer += typeof chunk.value === "string" ? chunk.value : decoder.decode(chunk.value);
      if (buffer.includes("event: ready")) subscribed.open();
      const match = /event: event\n((?:data: .*\n?)+)/.exec(buffer);
      if (match) return match[1]!;
    }
  } finally {
    found = true;
    subscribed.open();
    await reader.cancel().catch(() => {});
    await producing;
  }
}

describe("events in Portuguese", () => {
  test("the log and an event's page read in Portuguese, times in São Paulo time with the zone shown", async () => {
    const { client, organization } = await portugueseOrg(app);
    const event = await eventAt(organization.id, "2026-12-03T15:04:00Z");
    const list = await (await client.get("/events")).text();
    expect(list).toContain("<h1>Eventos</h1>");
    expect(list).toContain("Ao vivo");
    // The live tail's states, which events.js shows, come from the page in the reader's language.
    expect(list).toContain('data-live="ao vivo"');
    expect(list).toContain('data-reconnecting="reconectando"');
    expect(list).toContain("Todos os tipos");
    expect(list).toContain("<th>Quando</th>");
    // 15:04 UTC is 12:04 in São Paulo.
    expect(list).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(list).not.toContain("Live tail");

    const show = await (await client.get(`/events/${event.id}`)).text();
    expect(show).toContain("← Eventos");
    expect(show).toContain("Conteúdo");
    expect(show).toContain("Entregas de webhook");
    expect(show).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(show).not.toContain("2026-12-03T15:04:00.000Z</span>");
  });

  test("live rows are rendered in each reader's language and zone, whoever subscribed or notified first", async () => {
    const portuguese = await portugueseOrg(app);
    const english = await setupOrg(app);
    await db.update(users).set({ language: "en", timeZone: "UTC" }).where(eq(users.id, english.user.id));
    const ptStream = await portuguese.client.get("/events/stream");
    const enStream = await english.client.get("/events/stream");
    const [ptFrame, enFrame] = await Promise.all([
      nextEventFrame(ptStream, () => recordEvent({ organizationId: portuguese.organization.id, type: "contact.created", data: {} })),
      nextEventFrame(enStream, () => recordEvent({ organizationId: english.organization.id, type: "contact.created", data: {} })),
    ]);
    expect(ptFrame).toContain(">Ver</a>");
    expect(ptFrame).toMatch(/ (BRT|GMT-3)<\/time>/);
    expect(enFrame).toContain(">View</a>");
    expect(enFrame).toContain(" UTC</time>");
  });

  test("filter days are the reader's calendar days: 22:30 in São Paulo on Dec 2 is Dec 3 in UTC", async () => {
    const { client, organization } = await portugueseOrg(app);
    const lateEvening = await eventAt(organization.id, "2026-12-03T01:30:00Z");
    const nextMorning = await eventAt(organization.id, "2026-12-03T12:00:00Z");
    const dec2 = await (await client.get("/events?from=2026-12-02&to=2026-12-02")).text();
    expect(dec2).toContain(`event-${lateEvening.id}`);
    expect(dec2).not.toContain(`event-${nextMorning.id}`);
    const dec3 = await (await client.get("/events?from=2026-12-03&to=2026-12-03")).text();
    expect(dec3).toContain(`event-${nextMorning.id}`);
    expect(dec3).not.toContain(`event-${lateEvening.id}`);
  });

  test("filter errors come back in Portuguese (422)", async () => {
    const { client } = await portugueseOrg(app);
    const bad = await client.get("/events?from=ontem&type=nada");
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Use uma data como 2025-01-31");
    expect(html).toContain("Tipo de evento desconhecido");
    expect(html).toContain("Corrija os filtros acima para ver os eventos.");

    const reversed = await client.get("/events?from=2026-12-03&to=2026-12-01");
    expect(reversed.status).toBe(422);
    expect(await reversed.text()).toContain("Deve ser igual ou posterior a “De”");
  });

  test("the API answers in Accept-Language: validation and not-found messages in Portuguese, codes unchanged", async () => {
    const { key } = await setupOrg(app);
    const invalid = await api(app, "GET", "/v1/events?type=nada", key, undefined, PT);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe("validation_failed");
    expect(invalid.body.error.details[0].message).toStartWith("Tipo de evento desconhecido; tipos conhecidos: message.received");

    const missing = await api(app, "GET", `/v1/events/${crypto.randomUUID()}`, key, undefined, PT);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "not_found", message: "Evento não encontrado" });

    const english = await api(app, "GET", `/v1/events/${crypto.randomUUID()}`, key);
    expect(english.body.error.message).toBe("Event not found");
  });
});
