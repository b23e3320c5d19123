// Settings and organization creation in the reader's language; the organization's own language and
// time zone are set on the settings page (Intl-validated, audited) and drive what its members see.
import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, organizations, users } from "@/db/schema";
import { createMember, createOwner, signIn } from "../helpers/factories";

const app = createApp();
const PT = { "accept-language": "pt-BR" };

/** An owner who reads Portuguese and follows the organization's zone (no zone of their own). */
async function portugueseOwner() {
  const owner = await createOwner();
  await db.update(users).set({ language: "pt-BR", timeZone: null }).where(eq(users.id, owner.user.id));
  await db
    .update(organizations)
    .set({ createdAt: new Date("2026-12-03T15:04:00Z") })
    .where(eq(organizations.id, owner.organization.id));
  return { ...owner, client: await signIn(app, owner.user.id, owner.organization.id) };
}

describe("settings in Portuguese", () => {
  test("the page, the shell and the creation time (São Paulo, zone shown) read in Portuguese", async () => {
    const { client } = await portugueseOwner();
    const html = await (await client.get("/settings")).text();
    expect(html).toContain('<html lang="pt-BR">');
    expect(html).toContain("<h1>Configurações</h1>");
    expect(html).toContain("Idioma e fuso horário");
    expect(html).toContain("Plano e limites");
    expect(html).toContain("Proprietário");
    expect(html).toContain("<span>Gratuito</span>");
    expect(html).toContain(">Caixa de entrada<");
    expect(html).toContain(">Registro de auditoria<");
    expect(html).toContain(">Sair<");
    // 15:04 UTC is 12:04 in São Paulo.
    expect(html).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(html).toContain('<option value="America/Sao_Paulo" selected>');
    expect(html).not.toContain("Plan and limits");
  });

  test("admins change the language and zone: saved canonical, audited with what changed, and pages follow the new zone", async () => {
    const { client, organization, user } = await portugueseOwner();
    const res = await client.postForm("/settings/locale", { language: "en", timeZone: "asia/tokyo" });
    expect(res.status).toBe(303);
    const [org] = await db.select().from(organizations).where(eq(organizations.id, organization.id));
    expect(org).toMatchObject({ language: "en", timeZone: "Asia/Tokyo" });
    const rows = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "organization.locale_changed")));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorId: user.id,
      targetId: organization.id,
      details: { language: { from: "pt-BR", to: "en" }, timeZone: { from: "America/Sao_Paulo", to: "Asia/Tokyo" } },
    });

    const page = await (await client.get("/settings")).text();
    expect(page).toContain("Idioma e fuso horário salvos");
    // The member still reads Portuguese (their own language), now on Tokyo's clock: 15:04 UTC is 00:04 the next day.
    expect(page).toMatch(/04\/12\/2026,? 00:04/);

    // Saving the same values again records nothing.
    expect((await client.postForm("/settings/locale", { language: "en", timeZone: "Asia/Tokyo" })).status).toBe(303);
    expect(
      await db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "organization.locale_changed"))),
    ).toHaveLength(1);
  });

  test("an unknown zone or language is a 422 on the field, in Portuguese, and nothing changes", async () => {
    const { client, organization } = await portugueseOwner();
    for (const [fields, field, message] of [
      [{ language: "pt-BR", timeZone: "Mars/Olympus_Mons" }, "timeZone", "Escolha um fuso horário da lista"],
      [{ language: "pt-BR", timeZone: "+03:00" }, "timeZone", "Escolha um fuso horário da lista"],
      [{ language: "fr", timeZone: "UTC" }, "language", "Escolha Português (Brasil) ou English"],
    ] as const) {
      const res = await client.postForm("/settings/locale", fields);
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain(`id="f-${field}-error"`);
      expect(html).toContain(message);
    }
    const [org] = await db.select().from(organizations).where(eq(organizations.id, organization.id));
    expect(org).toMatchObject({ language: "pt-BR", timeZone: "America/Sao_Paulo" });
  });

  test("agents and supervisors see the language and zone but cannot change them", async () => {
    const { organization } = await createOwner();
    const agent = await createMember(organization.id, "supervisor");
    const client = await signIn(app, agent.id, organization.id);
    const html = await (await client.get("/settings", { headers: PT })).text();
    expect(html).not.toContain('action="/settings/locale"');
    expect(html).toContain("America/Sao_Paulo");
    expect((await client.postForm("/settings/locale", { language: "en", timeZone: "UTC" })).status).toBe(403);
  });
});

describe("creating an organization", () => {
  test("the form offers the creator's language as the default; the organization gets it", async () => {
    const { client, user } = await portugueseOwner();
    const form = await (await client.get("/organizations/new")).text();
    expect(form).toContain("<h1>Nova organização</h1>");
    expect(form).toContain('placeholder="Suporte Acme"');
    expect(form).toContain('<option value="pt-BR" selected>');

    expect((await client.postForm("/organizations/new", { name: "Filial Recife" })).status).toBe(303);
    const [created] = await db
      .select()
      .from(organizations)
      .where(and(eq(organizations.ownerId, user.id), eq(organizations.name, "Filial Recife")));
    expect(created!.language).toBe("pt-BR");

    const english = await createOwner();
    const enClient = await signIn(app, english.user.id, english.organization.id);
    expect((await enClient.postForm("/organizations/new", { name: "Branch Two" })).status).toBe(303);
    const [branch] = await db
      .select()
      .from(organizations)
      .where(and(eq(organizations.ownerId, english.user.id), eq(organizations.name, "Branch Two")));
    expect(branch!.language).toBe("en");
    expect((await enClient.postForm("/organizations/new", { name: "Filial Três", language: "pt-BR" })).status).toBe(303);
    const [chosen] = await db
      .select()
      .from(organizations)
      .where(and(eq(organizations.ownerId, english.user.id), eq(organizations.name, "Filial Três")));
    expect(chosen!.language).toBe("pt-BR");
  });

  test("a too-short name is a 422 in Portuguese, with the flash of a success in Portuguese too", async () => {
    const { client } = await portugueseOwner();
    const bad = await client.postForm("/organizations/new", { name: "x" });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Use pelo menos 2 caracteres");
    await client.postForm("/organizations/new", { name: "Matriz" });
    expect(await (await client.get("/settings")).text()).toContain("Organização Matriz criada");
  });
});
