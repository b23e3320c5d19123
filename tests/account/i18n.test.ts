import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { sessions, users } from "@/db/schema";
import { createOwner, signIn } from "../helpers/factories";

const app = createApp();

/** An owner who reads the admin in Brazilian Portuguese and keeps the default zone (the organization's). */
async function portugueseOwner() {
  const owner = await createOwner();
  await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, owner.user.id));
  const client = await signIn(app, owner.user.id, owner.organization.id);
  return { ...owner, client };
}

describe("account in Portuguese", () => {
  test("a new account follows its organization's zone: the profile offers it first, sessions show São Paulo time", async () => {
    const { user, client } = await portugueseOwner();
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.timeZone).toBeNull();

    const html = await (await client.get("/account")).text();
    expect(html).toContain("<h1>Sua conta</h1>");
    expect(html).toContain("Perfil e senha");
    expect(html).toContain("Salvar perfil");
    expect(html).toContain("Pelo menos 8 caracteres.");
    // The organization's zone is the first choice, and the selected one.
    expect(html).toMatch(/<select id="f-timeZone" name="timeZone"[^>]*><option value="" selected[^>]*>Fuso horário da organização<\/option>/);
    expect(html).not.toContain("Save profile");

    await db
      .update(sessions)
      .set({ createdAt: new Date("2026-12-03T15:04:00Z"), lastSeenAt: new Date("2026-12-03T15:04:00Z") })
      .where(eq(sessions.userId, user.id));
    const list = await (await client.get("/account/sessions")).text();
    expect(list).toContain("Sessões ativas");
    expect(list).toContain("Este navegador");
    // 15:04 UTC is 12:04 in São Paulo, the organization's zone, named.
    expect(list).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);

    const twoFactor = await (await client.get("/account/two-factor")).text();
    expect(twoFactor).toContain("Configurar dois fatores");
  });

  test("an explicit zone is validated, an empty one goes back to the organization's; errors read in Portuguese", async () => {
    const { user, client } = await portugueseOwner();
    const bad = await client.postForm("/account/profile", { name: "", language: "pt-BR", timeZone: "Marte/Base" });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Digite seu nome");
    expect(html).toContain("Escolha um fuso horário da lista (nome IANA, por exemplo America/Sao_Paulo)");

    expect((await client.postForm("/account/profile", { name: "Ana", language: "pt-BR", timeZone: "America/Manaus" })).status).toBe(303);
    expect((await db.select().from(users).where(eq(users.id, user.id)))[0]!.timeZone).toBe("America/Manaus");
    const saved = await (await client.get("/account")).text();
    expect(saved).toContain("Perfil salvo.");
    expect(saved).toContain('<option value="America/Manaus" selected');

    expect((await client.postForm("/account/profile", { name: "Ana", language: "pt-BR", timeZone: "" })).status).toBe(303);
    expect((await db.select().from(users).where(eq(users.id, user.id)))[0]!.timeZone).toBeNull();

    const password = await client.postForm("/account/password", { currentPassword: "errada", newPassword: "curta", confirmPassword: "outra" });
    expect(password.status).toBe(422);
    const passwordHtml = await password.text();
    expect(passwordHtml).toContain("Curta demais: use pelo menos 8 caracteres");
    expect(passwordHtml).toContain("As duas novas senhas são diferentes");
  });

  test("the migration moves accounts left on the old UTC default to their organization's zone, and keeps chosen zones", async () => {
    const { user } = await createOwner();
    const { user: other } = await createOwner();
    await db.update(users).set({ timeZone: "UTC" }).where(eq(users.id, user.id));
    await db.update(users).set({ timeZone: "America/Manaus" }).where(eq(users.id, other.id));
    const migration = readFileSync(join(import.meta.dir, "../../drizzle/0014_users_default_zone_follows_org.sql"), "utf8");
    await db.execute(sql.raw(migration));
    const zoneOf = async (id: string) => (await db.select({ timeZone: users.timeZone }).from(users).where(eq(users.id, id)))[0]!.timeZone;
    expect(await zoneOf(user.id)).toBeNull();
    expect(await zoneOf(other.id)).toBe("America/Manaus");
  });
});
