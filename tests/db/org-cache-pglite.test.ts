// The embedded default (PGlite) runs migration 0065 too: its trigger notifies `table:organization_id`
// on livchat_org_changed, which is what the org cache of a PGlite process listens to.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { ORG_CHANGED_CHANNEL } from "@/db/org-cache";
import { consentSettings, greetingMenuOptions, greetingMenus, departments, instances, organizations } from "@/db/schema";
import { waitFor } from "../helpers/wait";
import { migratedPglite } from "../helpers/pglite";

let client: PGlite;
let pg: Db;

beforeAll(async () => {
  ({ client, pg } = await migratedPglite());
}, 120_000);
afterAll(() => client?.close());

test("settings writes notify their organization on PGlite (options through their instance; the zone only when it changes)", async () => {
  const heard: string[] = [];
  const unlisten = await client.listen(ORG_CHANGED_CHANNEL, (payload) => heard.push(payload));
  try {
    const [org] = await pg.insert(organizations).values({ name: "Embedded", slug: "embedded-cache" }).returning();
    const id = org!.id;
    await pg.insert(consentSettings).values({ organizationId: id, optOutKeywords: ["CHEGA"] });
    const [instance] = await pg.insert(instances).values({ organizationId: id, name: "N", provider: "sandbox" }).returning();
    const [department] = await pg.insert(departments).values({ organizationId: id, name: "Suporte" }).returning();
    await pg.insert(greetingMenus).values({ instanceId: instance!.id, organizationId: id, enabled: true });
    await pg.insert(greetingMenuOptions).values({ instanceId: instance!.id, departmentId: department!.id, position: 1 });
    await pg.update(organizations).set({ name: "Renamed" }).where(eq(organizations.id, id));
    await pg.update(organizations).set({ timeZone: "America/Manaus" }).where(eq(organizations.id, id));
    await waitFor(() => heard.includes(`organizations:${id}`));
    expect(heard).toEqual([`consent_settings:${id}`, `departments:${id}`, `greeting_menus:${id}`, `greeting_menu_options:${id}`, `organizations:${id}`]);
  } finally {
    await unlisten();
  }
}, 60_000);
