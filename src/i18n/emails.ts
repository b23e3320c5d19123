import type { Catalog } from "./index";

/**
 * Every email LivChat sends, in the recipient's language. Read with tText: the HTML version passes
 * values it has already escaped, the text version plain ones.
 */
export default {
  "pt-BR": {
    orPaste: "Ou cole este link no seu navegador:",
    invitation: {
      subject: "Você foi convidado para {{organization}} no {{product}}",
      intro: "{{inviter}} convidou você para entrar em {{organization}} no {{product}} como {{role}}.",
      accept: "Aceite o convite: {{url}}",
      expiry: "O link funciona uma vez e expira em {{until}}. Se você não esperava este convite, ignore este e-mail.",
      button: "Aceitar o convite",
      someone: "Alguém",
    },
    passwordReset: {
      subject: "Redefina sua senha do {{product}}",
      intro: "Alguém pediu para redefinir a senha da sua conta no {{product}}. Se foi você, escolha uma nova senha:",
      expiry_one:
        "O link funciona uma vez e expira em {{count}} minuto. Usá-lo encerra todas as suas sessões. Se você não pediu, ignore este e-mail: sua senha continua a mesma.",
      expiry_other:
        "O link funciona uma vez e expira em {{count}} minutos. Usá-lo encerra todas as suas sessões. Se você não pediu, ignore este e-mail: sua senha continua a mesma.",
      button: "Escolher uma nova senha",
    },
    emailVerification: {
      subject: "Confirme seu e-mail no {{product}}",
      intro: "Olá, {{name}}! Confirme este endereço para terminar de criar sua conta no {{product}}:",
      expiry_one: "O link expira em {{count}} hora. Se você não se cadastrou, ignore este e-mail.",
      expiry_other: "O link expira em {{count}} horas. Se você não se cadastrou, ignore este e-mail.",
      button: "Confirmar meu e-mail",
    },
    signUpAttempt: {
      subject: "Alguém tentou se cadastrar no {{product}} com seu e-mail",
      intro: "Alguém tentou criar uma conta no {{product}} com este endereço de e-mail, que já tem uma. Nenhuma conta nova foi criada.",
      signIn: "Se foi você, entre na sua conta: {{url}}",
      forgot: "Esqueceu sua senha? Redefina aqui: {{url}}",
      forgotHtml: 'Esqueceu sua senha? <a href="{{url}}">Redefina aqui</a>.',
      ignore: "Se não foi você, pode ignorar este e-mail.",
      button: "Entrar",
    },
    registrationApproved: {
      subject: "Sua conta no {{product}} foi aprovada",
      intro: "Olá, {{name}}! Seu pedido para criar {{organization}} no {{product}} foi aprovado.",
      confirmNext: "Confirme seu e-mail para entrar:",
      signInNext: "Você já pode entrar:",
      confirmButton: "Confirmar e entrar",
      signInButton: "Entrar",
    },
    registrationRejected: {
      subject: "Seu pedido de cadastro no {{product}} foi recusado",
      intro: "Olá, {{name}}. Um administrador recusou seu pedido para criar uma conta.",
      reason: "Motivo: {{reason}}",
    },
  },
  en: {
    orPaste: "Or paste this link into your browser:",
    invitation: {
      subject: "You are invited to join {{organization}} on {{product}}",
      intro: "{{inviter}} invited you to join {{organization}} on {{product}} as {{role}}.",
      accept: "Accept the invitation: {{url}}",
      expiry: "The link works once and expires on {{until}}. If you did not expect it, ignore this email.",
      button: "Accept the invitation",
      someone: "Someone",
    },
    passwordReset: {
      subject: "Reset your {{product}} password",
      intro: "Someone asked to reset the password of your {{product}} account. If it was you, choose a new password:",
      expiry_one:
        "The link works once and expires in {{count}} minute. Using it signs you out everywhere. If you did not ask, ignore this email: your password stays as it is.",
      expiry_other:
        "The link works once and expires in {{count}} minutes. Using it signs you out everywhere. If you did not ask, ignore this email: your password stays as it is.",
      button: "Choose a new password",
    },
    emailVerification: {
      subject: "Confirm your email address for {{product}}",
      intro: "Hi {{name}}, confirm this address to finish creating your {{product}} account:",
      expiry_one: "The link expires in {{count}} hour. If you did not sign up, ignore this email.",
      expiry_other: "The link expires in {{count}} hours. If you did not sign up, ignore this email.",
      button: "Confirm my email",
    },
    signUpAttempt: {
      subject: "Someone tried to sign up to {{product}} with your email",
      intro: "Someone tried to create a {{product}} account with this email address, which already has one. No new account was created.",
      signIn: "If it was you, sign in instead: {{url}}",
      forgot: "Forgot your password? Reset it: {{url}}",
      forgotHtml: 'Forgot your password? <a href="{{url}}">Reset it</a>.',
      ignore: "If it was not you, you can ignore this email.",
      button: "Sign in",
    },
    registrationApproved: {
      subject: "Your {{product}} account was approved",
      intro: "Hi {{name}}, your request to create {{organization}} on {{product}} was approved.",
      confirmNext: "Confirm your email address to sign in:",
      signInNext: "You can sign in now:",
      confirmButton: "Confirm and sign in",
      signInButton: "Sign in",
    },
    registrationRejected: {
      subject: "Your {{product}} sign-up request was declined",
      intro: "Hi {{name}}, an administrator declined your request to create an account.",
      reason: "Reason: {{reason}}",
    },
  },
} satisfies Catalog;
