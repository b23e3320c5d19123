import type { Catalog } from "./index";

/** Creating and switching organizations; the name, language and zone rules shared with Settings. */
export default {
  "pt-BR": {
    new: {
      title: "Nova organização",
      intro: "Uma organização reúne instâncias, chaves de API, webhooks e membros. Você será o proprietário.",
      name: "Nome da organização",
      namePlaceholder: "Suporte Acme",
      nameHint: "Você pode renomeá-la depois em Configurações.",
      language: "Idioma padrão",
      languageHint: "O idioma das mensagens aos contatos e da automação; você pode mudá-lo depois em Configurações.",
      submit: "Criar organização",
    },
    languages: {
      "pt-BR": "Português (Brasil)",
      en: "English",
    },
    flash: {
      created: "Organização {{name}} criada",
      switched: "Você está em {{name}}",
    },
    errors: {
      notFound: "Organização não encontrada",
      nameRequired: "Informe um nome",
      nameMin: "Use pelo menos {{count}} caracteres",
      nameMax: "Use no máximo {{count}} caracteres",
      chooseOrganization: "Escolha uma organização",
      language: "Escolha Português (Brasil) ou English",
      timeZone: "Escolha um fuso horário da lista (nome IANA, por exemplo America/Sao_Paulo)",
    },
  },
  en: {
    new: {
      title: "New organization",
      intro: "An organization holds instances, API keys, webhooks and members. You will be its owner.",
      name: "Organization name",
      namePlaceholder: "Acme Support",
      nameHint: "You can rename it later in Settings.",
      language: "Default language",
      languageHint: "The language of messages to contacts and of automation; you can change it later in Settings.",
      submit: "Create organization",
    },
    languages: {
      "pt-BR": "Português (Brasil)",
      en: "English",
    },
    flash: {
      created: "Organization {{name}} created",
      switched: "Switched to {{name}}",
    },
    errors: {
      notFound: "Organization not found",
      nameRequired: "Enter a name",
      nameMin: "Use at least {{count}} characters",
      nameMax: "Use at most {{count}} characters",
      chooseOrganization: "Choose an organization",
      language: "Choose Português (Brasil) or English",
      timeZone: "Choose a time zone from the list (IANA name, e.g. America/Sao_Paulo)",
    },
  },
} satisfies Catalog;
