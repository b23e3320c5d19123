import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { invitations, memberships, users } from "@/db/schema";
import { createUser } from "@/features/auth/auth.service";
import { formatDateTime, withLocale } from "@/lib/i18n";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, signIn, uniqueEmail } from "../helpers/factories";
import { linkIn, startSmtpServer, type SmtpServer } from "../helpers/smtp";

const app = createApp();
const brazilianTime = (at: Date) => withLocale({ locale: "pt-BR", timeZone: "America/Sao_Paulo" }, () => formatDateTime(at));

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp.stop());
afterEach(() => {
  config.smtpUrl = undefined;
});

/** An owner who reads the admin in Portuguese, in the organization's zone (America/Sao_Paulo). */
async function portugueseOwner() {
  const owner = await createOwner({ orgName: "Padaria" });
  await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, owner.user.id));
  return { ...owner, client: await signIn(app, owner.user.id, owner.organization.id) };
}

describe("members in Portuguese", () => {
  test("the page names roles in Portuguese and shows when people joined in São Paulo time", async () => {
    const { organization, user, client } = await portugueseOwner();
    const agent = await createMember(organization.id, "agent");
    const joined = new Date("2026-12-03T15:04:00Z");
    await db.update(memberships).set({ createdAt: joined }).where(eq(memberships.userId, user.id));
    const html = await (await client.get("/members")).text();
    expect(html).toContain("<h1>Membros</h1>");
    expect(html).toContain("(você)");
    expect(html).toContain(">proprietário</option>");
    expect(html).toContain(">atendente</option>");
    expect(html).toContain("atendente — Caixa de entrada e contatos");
    expect(html).toContain("Criar link de convite");
    expect(html).toContain(brazilianTime(joined));
    expect(html).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);

    const [agentMembership] = await db.select().from(memberships).where(eq(memberships.userId, agent.id));
    expect((await client.postForm(`/members/${agentMembership!.id}/role`, { role: "supervisor" })).status).toBe(303);
    expect(await (await client.get("/members")).text()).toContain(`${agent.email} agora é supervisor`);
  });

  test("form errors and service rules answer in Portuguese", async () => {
    const { user, client } = await portugueseOwner();
    const bad = await client.postForm("/members/invitations", { email: "não-é-email", role: "chefe" }, { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Informe um e-mail válido");
    expect(html).toContain("Escolha uma função");

    const [own] = await db.select().from(memberships).where(eq(memberships.userId, user.id));
    const last = await client.postForm(`/members/${own!.id}/role`, { role: "agent" }, { htmx: true });
    expect(last.status).toBe(422);
    expect(await last.text()).toContain("Este é o último proprietário; torne outra pessoa proprietária primeiro");
    const missing = await client.postForm(`/members/${crypto.randomUUID()}/role`, { role: "agent" });
    expect(missing.status).toBe(404);
  });

  test("an invitation is emailed in the organization's language with its expiry in the organization's zone; an invitee with an account gets their own language", async () => {
    config.smtpUrl = smtp.url;
    const { client } = await portugueseOwner();
    const email = uniqueEmail("convidada");
    const res = await client.postForm("/members/invitations", { email, role: "agent" });
    expect(res.status).toBe(303);
    expect(await (await client.get("/members")).text()).toContain("Enviamos o link por e-mail");
    const mail = await smtp.waitFor(email, "Você foi convidado para Padaria no LivChat");
    expect(mail.text).toContain("convidou você para entrar em Padaria no LivChat como atendente.");
    const [invitation] = await db.select().from(invitations).where(eq(invitations.email, email));
    expect(mail.text).toContain(brazilianTime(invitation!.expiresAt));

    // The public page follows the visitor's Accept-Language.
    const landing = await (await new TestClient(app).get(new URL(linkIn(mail, "/invitations/")).pathname, { headers: { "accept-language": "pt-BR" } })).text();
    expect(landing).toContain("Você foi convidado");
    expect(landing).toContain("Entre em <strong>Padaria</strong> no LivChat como <strong>atendente</strong>.");
    expect(landing).toContain("Criar uma conta");

    const english = await createUser({ email: uniqueEmail("english"), password: "correct horse battery", name: "Eve" });
    await client.postForm("/members/invitations", { email: english.email, role: "supervisor" });
    const englishMail = await smtp.waitFor(english.email, "You are invited to join Padaria on LivChat");
    expect(englishMail.text).toContain("as supervisor");
  });
});
