import type { Catalog } from "./index";

/** The organization's settings page. */
export default {
  "pt-BR": {
    title: "Configurações",
    organization: {
      title: "Organização",
      name: "Nome",
      nameLabel: "Nome: ",
      readOnly: "Só administradores e proprietários podem renomear a organização.",
    },
    regional: {
      title: "Idioma e fuso horário",
      language: "Idioma padrão",
      timeZone: "Fuso horário",
      hint: "As mensagens aos contatos e a automação usam este idioma; membros que não escolheram um fuso próprio veem os horários neste fuso. Cada membro escolhe o idioma das telas na própria conta.",
      current: "{{language}} · {{timeZone}}",
      readOnly: "Só administradores e proprietários podem mudar o idioma e o fuso horário.",
    },
    security: {
      title: "Segurança",
      require: "Exigir autenticação em dois fatores de administradores e proprietários",
      explain: "Administradores e proprietários sem ela são levados a configurá-la antes de usar esta organização.",
      enableOwnFirst: " Ative-a primeiro na sua própria conta, na página da sua conta.",
      required: "Administradores e proprietários precisam usar autenticação em dois fatores.",
      optional: "A autenticação em dois fatores é opcional para todos.",
    },
    plan: {
      title: "Plano e limites",
      slug: "Identificador",
      plan: "Plano",
      maxInstances: "Máximo de instâncias",
      messagesPerDay: "Mensagens por dia",
      apiPerMinute: "Requisições de API por minuto",
      created: "Criada em",
      yourRole: "Seu papel",
      note: "Os limites vêm do plano; chaves de API e instâncias podem reduzi-los individualmente.",
      names: {
        free: "Gratuito",
      },
    },
    flash: {
      renamed: "Organização renomeada para {{name}}",
      regionalSaved: "Idioma e fuso horário salvos",
      twoFactorRequired: "A autenticação em dois fatores agora é obrigatória para administradores e proprietários.",
      twoFactorOptional: "A autenticação em dois fatores deixou de ser obrigatória.",
    },
  },
  en: {
    title: "Settings",
    organization: {
      title: "Organization",
      name: "Name",
      nameLabel: "Name: ",
      readOnly: "Only admins and owners can rename the organization.",
    },
    regional: {
      title: "Language and time zone",
      language: "Default language",
      timeZone: "Time zone",
      hint: "Messages to contacts and automation use this language; members who have not chosen a zone of their own see times in this zone. Each member picks the language of the screens on their account page.",
      current: "{{language}} · {{timeZone}}",
      readOnly: "Only admins and owners can change the language and time zone.",
    },
    security: {
      title: "Security",
      require: "Require two-factor authentication for admins and owners",
      explain: "Admins and owners without it are sent to set it up before they can use this organization.",
      enableOwnFirst: " Turn it on for your own account first, on your account page.",
      required: "Admins and owners must use two-factor authentication.",
      optional: "Two-factor authentication is optional for everyone.",
    },
    plan: {
      title: "Plan and limits",
      slug: "Slug",
      plan: "Plan",
      maxInstances: "Max instances",
      messagesPerDay: "Messages per day",
      apiPerMinute: "API requests per minute",
      created: "Created",
      yourRole: "Your role",
      note: "Limits come from the plan; API keys and instances can lower them individually.",
      names: {
        free: "free",
      },
    },
    flash: {
      renamed: "Organization renamed to {{name}}",
      regionalSaved: "Language and time zone saved",
      twoFactorRequired: "Two-factor authentication is now required for admins and owners.",
      twoFactorOptional: "Two-factor authentication is no longer required.",
    },
  },
} satisfies Catalog;
