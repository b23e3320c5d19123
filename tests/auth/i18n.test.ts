import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { users } from "@/db/schema";
import { signInWithOAuth } from "@/features/auth/auth.service";
import { randomToken } from "@/lib/crypto";
import { withLocale } from "@/lib/i18n";
import { TestClient } from "../helpers/client";
import { createOwner, uniqueEmail } from "../helpers/factories";
import { linkIn, startSmtpServer, type SmtpServer } from "../helpers/smtp";

const app = createApp();
const PT = { "accept-language": "pt-BR,pt;q=0.9" };
const PASSWORD = "correct horse battery";

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp.stop());
afterEach(() => {
  config.signup = "open";
  config.smtpUrl = undefined;
});

async function languageOf(email: string) {
  const [row] = await db.select({ language: users.language }).from(users).where(eq(users.email, email));
  return row?.language;
}

describe("signing in and up in Portuguese", () => {
  test("a Portuguese visitor reads the sign-in and sign-up pages, and their validation errors, in pt-BR", async () => {
    await createOwner(); // not the first account: the ordinary sign-up form
    const visitor = new TestClient(app);
    const login = await (await visitor.get("/login", { headers: PT })).text();
    expect(login).toContain("<h1>Entrar</h1>");
    expect(login).toContain("Esqueceu sua senha?");
    expect(login).toContain(">Senha</label>");
    expect(login).not.toContain("Forgot your password?");

    const bad = await visitor.postForm("/login", { email: "typo@", password: "" }, { headers: PT });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Informe um e-mail válido");
    expect(badHtml).toContain("Digite sua senha");
    const wrong = await visitor.postForm("/login", { email: uniqueEmail("nobody"), password: "wrong password" }, { headers: PT });
    expect(await wrong.text()).toContain("E-mail ou senha incorretos.");

    const signup = await (await visitor.get("/signup", { headers: PT })).text();
    expect(signup).toContain("Crie sua conta");
    expect(signup).toContain("Pelo menos 8 caracteres.");
    const refused = await visitor.postForm("/signup", { name: "", email: "x@example.test", password: "curta", organizationName: "" }, { headers: PT });
    expect(refused.status).toBe(422);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain("Digite seu nome");
    expect(refusedHtml).toContain("Curta demais: use pelo menos 8 caracteres");
    expect(refusedHtml).toContain("Dê um nome à sua organização");

    config.signup = "closed";
    expect(await (await visitor.get("/signup", { headers: PT })).text()).toContain("O cadastro está fechado neste servidor.");
  });

  test("sign-up keeps the visitor's language on the new account, and the confirmation email is written in it", async () => {
    await createOwner();
    config.smtpUrl = smtp.url;
    const portuguese = uniqueEmail("pt");
    const res = await new TestClient(app).postForm(
      "/signup",
      { name: "Ana", email: portuguese, password: PASSWORD, organizationName: "Padaria" },
      { headers: PT },
    );
    expect(res.status).toBe(303);
    expect(await languageOf(portuguese)).toBe("pt-BR");
    const mail = await smtp.waitFor(portuguese, "Confirme seu e-mail no LivChat");
    expect(mail.text).toContain("Olá, Ana!");
    expect(mail.text).toContain("O link expira em 24 horas.");
    expect(linkIn(mail, "/verify-email/")).toContain("/verify-email/");

    const english = uniqueEmail("en");
    await new TestClient(app).postForm("/signup", { name: "Bob", email: english, password: PASSWORD, organizationName: "Bakery" });
    expect(await languageOf(english)).toBe("en");
    await smtp.waitFor(english, "Confirm your email address for LivChat");
  });

  test("emails to an existing account follow the account's language, not the visitor's", async () => {
    config.smtpUrl = smtp.url;
    const { user } = await createOwner(); // language "en"
    const res = await new TestClient(app).postForm(
      "/signup",
      { name: "Someone", email: user.email, password: PASSWORD, organizationName: "Outra" },
      { headers: PT },
    );
    expect(res.status).toBe(303);
    await smtp.waitFor(user.email, "Someone tried to sign up to LivChat with your email");

    await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, user.id));
    await new TestClient(app).postForm("/password/forgot", { email: user.email });
    const reset = await smtp.waitFor(user.email, "Redefina sua senha do LivChat");
    expect(reset.text).toContain("expira em 60 minutos");
  });

  test("a provider sign-up stores the language it was made in", async () => {
    await createOwner();
    const email = uniqueEmail("oidc");
    const result = await withLocale({ locale: "pt-BR" }, () =>
      signInWithOAuth({ provider: "oidc", providerUserId: randomToken(8), email, emailVerified: true, name: "Grace", avatarUrl: null }, {}),
    );
    expect(result.ok).toBe(true);
    expect(await languageOf(email)).toBe("pt-BR");
  });
});
