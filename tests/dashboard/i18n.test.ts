// The dashboard in Portuguese: labels, numbers with Brazilian separators, event times in the
// organization's zone with the zone named.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { events, users } from "@/db/schema";
import { incrementUsage } from "@/features/usage/usage.service";
import { createOwner, signIn } from "../helpers/factories";

const app = createApp();

describe("dashboard in Portuguese", () => {
  test("labels, numbers (1.234) and event times (São Paulo, zone shown)", async () => {
    const { user, organization } = await createOwner();
    await db.update(users).set({ language: "pt-BR", timeZone: null }).where(eq(users.id, user.id));
    await incrementUsage({ organizationId: organization.id, metric: "api_calls", by: 1234 });
    await db.insert(events).values({ organizationId: organization.id, type: "instance.connected", at: new Date("2026-12-03T15:04:00Z") });
    const client = await signIn(app, user.id, organization.id);
    const html = await (await client.get("/")).text();
    expect(html).toContain("<h2>Primeiros passos</h2>");
    expect(html).toContain("Crie sua primeira instância");
    expect(html).toContain("Chamadas de API hoje");
    expect(html).toContain('<div class="stat">1.234</div>');
    expect(html).toContain("Nenhuma entrega nas últimas 24 h");
    expect(html).toContain("<h2>Eventos recentes</h2>");
    expect(html).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(html).not.toContain("Get started");
  });
});
