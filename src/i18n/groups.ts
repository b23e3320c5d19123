import type { Catalog } from "./index";

/** Groups API: WhatsApp groups of an instance (list, create, subject, participants, invite link, leave). */
export default {
  "pt-BR": {
    errors: {
      notFound: "Grupo não encontrado",
      notConnected: "A instância {{name}} não está conectada; conecte-a antes de administrar grupos",
      unsupported: "O provedor {{provider}} não oferece {{feature}}",
      feature: "administração de grupos",
    },
    /** What Meta's Groups API does not offer (422 unsupported_by_provider on Cloud API instances). */
    cloud: {
      create:
        "criar grupos por esta API (a Meta cria o grupo sem participantes, de forma assíncrona, e só informa o id por webhook; as pessoas entram pelo link de convite)",
      add: "adicionar participantes diretamente (as pessoas entram pelo link de convite)",
      promote: "promover participantes a administradores",
      demote: "rebaixar administradores",
      picture: "trocar a foto do grupo por esta API",
      leave: "sair do grupo (a Meta só oferece excluir o grupo)",
    },
    providers: { sandbox: "Sandbox", wuzapi: "WuzAPI", cloud: "WhatsApp Cloud API" },
    provider: {
      list: "listar os grupos",
      info: "ler o grupo",
      create: "criar o grupo",
      update: "alterar o grupo",
      participants: "alterar os participantes",
      inviteLink: "obter o link de convite",
      leave: "sair do grupo",
    },
    validation: {
      subjectRequired: "Informe o nome do grupo",
      subjectTooLong: "O nome do grupo tem no máximo {{max}} caracteres",
      descriptionTooLong: "A descrição tem no máximo {{max}} caracteres",
      picture: "Envie a foto como data URI JPEG (data:image/jpeg;base64,…)",
      pictureTooLarge: "A foto passa do limite de {{max}}",
      participantsRequired: "Informe ao menos um participante",
      participantsTooMany: "No máximo {{max}} participantes por pedido",
      participantPhone: "Número inválido: {{value}}",
      action: "A ação deve ser add, remove, promote ou demote",
      nothingToChange: "Informe subject, description ou picture",
    },
  },
  en: {
    errors: {
      notFound: "Group not found",
      notConnected: "The instance {{name}} is not connected; connect it before managing groups",
      unsupported: "The provider {{provider}} does not offer {{feature}}",
      feature: "group administration",
    },
    /** What Meta's Groups API does not offer (422 unsupported_by_provider on Cloud API instances). */
    cloud: {
      create:
        "creating groups through this API (Meta creates the group without participants, asynchronously, and tells its id only by webhook; people join by the invite link)",
      add: "adding participants directly (people join by the invite link)",
      promote: "promoting participants to admins",
      demote: "demoting admins",
      picture: "changing the group's picture through this API",
      leave: "leaving a group (Meta offers only deleting the group)",
    },
    providers: { sandbox: "Sandbox", wuzapi: "WuzAPI", cloud: "WhatsApp Cloud API" },
    provider: {
      list: "list the groups",
      info: "read the group",
      create: "create the group",
      update: "change the group",
      participants: "change the participants",
      inviteLink: "get the invite link",
      leave: "leave the group",
    },
    validation: {
      subjectRequired: "Enter the group's name",
      subjectTooLong: "The group's name has at most {{max}} characters",
      descriptionTooLong: "The description has at most {{max}} characters",
      picture: "Send the picture as a JPEG data URI (data:image/jpeg;base64,…)",
      pictureTooLarge: "The picture is larger than the {{max}} limit",
      participantsRequired: "Enter at least one participant",
      participantsTooMany: "At most {{max}} participants per request",
      participantPhone: "Invalid number: {{value}}",
      action: "The action must be add, remove, promote or demote",
      nothingToChange: "Enter subject, description or picture",
    },
  },
} satisfies Catalog;
