import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { registrationRequests, users } from "@/db/schema";
import { TestClient } from "../helpers/client";
import { createOwner, signIn, uniqueEmail } from "../helpers/factories";
import { startSmtpServer, type SmtpServer } from "../helpers/smtp";

const app = createApp();
const PT = { "accept-language": "pt-BR" };
const PASSWORD = "correct horse battery";

let smtp: SmtpServer;
let platformAdmin: TestClient;
let adminId: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  // The file's first account is the install's platform admin; they read the admin in Portuguese and
  // keep the default zone, which is their organization's (America/Sao_Paulo).
  const first = await createOwner({ orgName: "Operador" });
  expect(first.user.isPlatformAdmin).toBe(true);
  adminId = first.user.id;
  await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, adminId));
  platformAdmin = await signIn(app, adminId, first.organization.id);
});
afterAll(() => smtp.stop());
afterEach(() => {
  config.signup = "open";
  config.smtpUrl = undefined;
});

async function requestFor(email: string) {
  const [row] = await db
    .select()
    .from(registrationRequests)
    .where(eq(sql`lower(${registrationRequests.email})`, email));
  return row!;
}

describe("platform pages in Portuguese", () => {
  test("sign-up requests read in pt-BR with times in São Paulo time; the applicant's language is kept and used for the decision", async () => {
    config.signup = "approval";
    config.smtpUrl = smtp.url;
    const email = uniqueEmail("candidata");
    const res = await new TestClient(app).postForm("/signup", { name: "Carla", email, password: PASSWORD, organizationName: "Clínica" }, { headers: PT });
    expect(res.status).toBe(303);
    expect(await (await new TestClient(app).get("/signup/requested", { headers: PT })).text()).toContain("Pedido recebido");
    const request = await requestFor(email);
    expect(request.language).toBe("pt-BR");
    await db
      .update(registrationRequests)
      .set({ createdAt: new Date("2026-12-03T15:04:00Z") })
      .where(eq(registrationRequests.id, request.id));

    const list = await (await platformAdmin.get("/platform/registrations")).text();
    expect(list).toContain("<h1>Pedidos de cadastro</h1>");
    expect(list).toContain("Aguardando");
    expect(list).toContain('placeholder="Motivo (enviado ao solicitante)"');
    // 15:04 UTC is 12:04 in São Paulo, the zone named.
    expect(list).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(list).not.toContain("Sign-up requests");

    const empty = await platformAdmin.postForm(`/platform/registrations/${request.id}/reject`, { reason: " " });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Diga por que o pedido foi recusado");

    expect((await platformAdmin.postForm(`/platform/registrations/${request.id}/approve`, {})).status).toBe(303);
    expect(await (await platformAdmin.get("/platform/registrations")).text()).toContain(`${email} aprovado: a conta e Clínica foram criadas.`);
    const [account] = await db.select().from(users).where(eq(users.email, email));
    expect(account!.language).toBe("pt-BR");
    const mail = await smtp.waitFor(email, "Sua conta no LivChat foi aprovada");
    expect(mail.text).toContain("Olá, Carla! Seu pedido para criar Clínica no LivChat foi aprovado.");

    const twice = await platformAdmin.postForm(`/platform/registrations/${request.id}/approve`, {});
    expect(twice.status).toBe(409);
    expect(await twice.text()).toContain("Este pedido já foi aprovado.");
  });

  test("an English applicant's rejection is emailed in English whatever the reviewer reads", async () => {
    config.signup = "approval";
    config.smtpUrl = smtp.url;
    const email = uniqueEmail("applicant");
    await new TestClient(app).postForm("/signup", { name: "Dana", email, password: PASSWORD, organizationName: "Shop" });
    const request = await requestFor(email);
    expect(request.language).toBe("en");
    expect((await platformAdmin.postForm(`/platform/registrations/${request.id}/reject`, { reason: "Só escolas" })).status).toBe(303);
    const mail = await smtp.waitFor(email, "Your LivChat sign-up request was declined");
    expect(mail.text).toContain("Reason: Só escolas");
  });

  test("the users page reads in pt-BR with last sign-ins in São Paulo time", async () => {
    await db
      .update(users)
      .set({ lastLoginAt: new Date("2026-12-03T15:04:00Z") })
      .where(eq(users.id, adminId));
    const html = await (await platformAdmin.get("/platform/users")).text();
    expect(html).toContain("<h1>Usuários</h1>");
    expect(html).toContain("administrador da plataforma");
    expect(html).toContain('placeholder="Buscar por e-mail"');
    expect(html).toContain("Criar link de redefinição");
    expect(html).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
  });
});
