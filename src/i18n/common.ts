import type { Catalog } from "./index";

/** Words every screen uses: actions, states, the shell. */
export default {
  "pt-BR": {
    appName: "LivChat",
    actions: {
      save: "Salvar",
      cancel: "Cancelar",
      delete: "Excluir",
      edit: "Editar",
      create: "Criar",
      back: "Voltar",
      search: "Buscar",
      confirm: "Confirmar",
      close: "Fechar",
      next: "Próxima",
      previous: "Anterior",
      signOut: "Sair",
    },
    states: {
      yes: "Sim",
      no: "Não",
      none: "—",
      loading: "Carregando…",
      enabled: "Ativo",
      disabled: "Desativado",
    },
    errors: {
      notFound: "Não encontrado",
      forbidden: "Você não tem permissão para isso",
      unauthorized: "Entre para continuar",
      internal: "Algo deu errado; o erro foi registrado",
    },
  },
  en: {
    appName: "LivChat",
    actions: {
      save: "Save",
      cancel: "Cancel",
      delete: "Delete",
      edit: "Edit",
      create: "Create",
      back: "Back",
      search: "Search",
      confirm: "Confirm",
      close: "Close",
      next: "Next",
      previous: "Previous",
      signOut: "Sign out",
    },
    states: {
      yes: "Yes",
      no: "No",
      none: "—",
      loading: "Loading…",
      enabled: "Enabled",
      disabled: "Disabled",
    },
    errors: {
      notFound: "Not found",
      forbidden: "You are not allowed to do that",
      unauthorized: "Sign in to continue",
      internal: "Something went wrong; the error was logged",
    },
  },
} satisfies Catalog;
