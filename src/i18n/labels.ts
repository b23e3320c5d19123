import type { Catalog } from "./index";

/** Conversation labels: the admin page, the inbox's label box and the service's rules. */
export default {
  "pt-BR": {
    title: "Etiquetas",
    intro: "Etiquetas de conversa (diferentes das tags do contato): marque conversas na caixa de entrada e filtre por elas.",
    empty: "Nenhuma etiqueta ainda.",
    new: "Nova etiqueta",
    edit: "Editar",
    confirmDelete: "Excluir esta etiqueta? Ela sai de todas as conversas.",
    onConversation: "Etiquetas da conversa",
    add: "Adicionar etiqueta",
    remove: "Remover a etiqueta {{name}}",
    form: {
      name: "Nome",
      color: "Cor",
      create: "Criar etiqueta",
    },
    flash: {
      created: "Etiqueta criada.",
      saved: "Etiqueta salva.",
      deleted: "Etiqueta excluída.",
    },
    errors: {
      notFound: "Etiqueta não encontrada.",
      forbidden: "Só supervisores e administradores criam, alteram ou excluem etiquetas.",
      nameTaken: "Já existe uma etiqueta com este nome.",
      color: "Use uma cor no formato #rrggbb.",
      tooMany: "No máximo {{count}} etiquetas por organização.",
      choose: "Escolha uma etiqueta.",
    },
  },
  en: {
    title: "Labels",
    intro: "Conversation labels (separate from contact tags): mark conversations in the inbox and filter by them.",
    empty: "No labels yet.",
    new: "New label",
    edit: "Edit",
    confirmDelete: "Delete this label? It is taken off every conversation.",
    onConversation: "Conversation labels",
    add: "Add label",
    remove: "Remove the label {{name}}",
    form: {
      name: "Name",
      color: "Colour",
      create: "Create label",
    },
    flash: {
      created: "Label created.",
      saved: "Label saved.",
      deleted: "Label deleted.",
    },
    errors: {
      notFound: "Label not found.",
      forbidden: "Only supervisors and admins create, change or delete labels.",
      nameTaken: "A label with this name already exists.",
      color: "Use a colour as #rrggbb.",
      tooMany: "At most {{count}} labels per organization.",
      choose: "Choose a label.",
    },
  },
} satisfies Catalog;
