import type { Catalog } from "./index";

/** Devices: the admin page, the form's and the API's messages. */
export default {
  "pt-BR": {
    page: {
      title: "Dispositivos",
      intro: "Revogar um dispositivo revoga todas as chaves de API vinculadas a ele, em todos os servidores, em até um segundo.",
      empty: "Nenhum dispositivo ainda. Cadastre servidores, celulares ou terminais de PDV que chamam a API.",
      registered: "Dispositivo cadastrado",
    },
    table: {
      device: "Dispositivo",
      lastSeen: "Visto por último",
      ipUserAgent: "IP / navegador",
      keys: "Chaves",
      activeKeys: "Chaves ativas",
      status: "Status",
      actions: "Ações",
    },
    kinds: {
      server: "servidor",
      mobile: "celular",
      pos: "PDV",
      browser: "navegador",
    },
    status: {
      active: "ativo",
      revoked: "revogado",
    },
    row: {
      revoke: "Revogar",
      revokeConfirm_zero: "Revogar \u201c{{name}}\u201d? Ele não tem chaves de API ativas.",
      revokeConfirm_one: "Revogar \u201c{{name}}\u201d e a sua {{count}} chave de API?",
      revokeConfirm_other: "Revogar \u201c{{name}}\u201d e as suas {{count}} chaves de API?",
    },
    form: {
      title: "Cadastrar um dispositivo",
      name: "Nome",
      namePlaceholder: "PDV do balcão",
      kind: "Tipo",
      createKey: "Criar também uma chave de API vinculada a este dispositivo (mostrada uma vez)",
      keyScopes: "Escopos da chave",
      submit: "Cadastrar dispositivo",
    },
    flash: {
      registered: "Dispositivo cadastrado",
      revoked_zero: "{{name}} revogado; não tinha chaves ativas",
      revoked_one: "{{name}} revogado, com {{count}} chave",
      revoked_other: "{{name}} revogado, com {{count}} chaves",
    },
    validation: {
      nameRequired: "Dê um nome ao dispositivo",
      nameMax: "No máximo {{count}} caracteres",
      kind: "Escolha um destes tipos: {{kinds}}",
      unknownScope: "Escopo desconhecido",
      scopesMin: "Escolha pelo menos um escopo",
      deviceId: "Não é um identificador de dispositivo",
    },
    visitor: {
      deviceName: "Navegador do visitante",
      keyName: "Chave do visitante",
    },
    errors: {
      manageForbidden: "Apenas administradores e proprietários gerenciam dispositivos",
      notFound: "Dispositivo não encontrado",
      invalidCursor: "Cursor inválido",
      boundKeyCannotMint: "Uma chave vinculada a um dispositivo não pode criar chaves para outros dispositivos",
      boundKeyCannotRegister: "Uma chave vinculada a um dispositivo não pode cadastrar outros dispositivos",
      scopesExceed: "Esta chave de API não pode conceder escopos que ela não tem: {{scopes}}",
    },
  },
  en: {
    page: {
      title: "Devices",
      intro: "Revoking a device revokes every API key bound to it, on every server within a second.",
      empty: "No devices yet. Register servers, phones or POS terminals that call the API.",
      registered: "Device registered",
    },
    table: {
      device: "Device",
      lastSeen: "Last seen",
      ipUserAgent: "IP / user agent",
      keys: "Keys",
      activeKeys: "Active keys",
      status: "Status",
      actions: "Actions",
    },
    kinds: {
      server: "server",
      mobile: "mobile",
      pos: "pos",
      browser: "browser",
    },
    status: {
      active: "active",
      revoked: "revoked",
    },
    row: {
      revoke: "Revoke",
      revokeConfirm_one: 'Revoke "{{name}}" and its {{count}} API key?',
      revokeConfirm_other: 'Revoke "{{name}}" and its {{count}} API keys?',
    },
    form: {
      title: "Register a device",
      name: "Name",
      namePlaceholder: "Front desk POS",
      kind: "Kind",
      createKey: "Also create an API key bound to this device (shown once)",
      keyScopes: "Key scopes",
      submit: "Register device",
    },
    flash: {
      registered: "Device registered",
      revoked_one: "Revoked {{name}} and {{count}} key",
      revoked_other: "Revoked {{name}} and {{count}} keys",
    },
    validation: {
      nameRequired: "Give the device a name",
      nameMax: "At most {{count}} characters",
      kind: "One of {{kinds}}",
      unknownScope: "Unknown scope",
      scopesMin: "Choose at least one scope",
      deviceId: "Not a device id",
    },
    visitor: {
      deviceName: "Visitor browser",
      keyName: "Visitor key",
    },
    errors: {
      manageForbidden: "Only admins and owners manage devices",
      notFound: "Device not found",
      invalidCursor: "Invalid cursor",
      boundKeyCannotMint: "A key bound to a device cannot create keys for other devices",
      boundKeyCannotRegister: "A key bound to a device cannot register other devices",
      scopesExceed: "This API key cannot grant scopes it does not hold: {{scopes}}",
    },
  },
} satisfies Catalog;
