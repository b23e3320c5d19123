import type { Catalog } from "./index";

/** Agents' availability (header switch, team page) and auto-assignment settings. */
export default {
  "pt-BR": {
    title: "Disponibilidade da equipe",
    intro: "Só quem está Online recebe conversas pela distribuição automática (rodízio entre os membros do departamento, respeitando a capacidade).",
    status: { online: "Online", away: "Ausente", offline: "Offline" },
    control: { label: "Sua disponibilidade", set: "Definir" },
    columns: { member: "Membro", status: "Status", since: "Desde", lastSeen: "Última atividade", load: "Conversas abertas", capacity: "Capacidade" },
    team: { departmentDefault: "padrão", saveCapacity: "Salvar" },
    settings: {
      title: "Inatividade",
      awayAfter: "Ficar Ausente após (minutos sem atividade)",
      awayAfterHint: "Quem está Online e não usa o painel por esse tempo passa a Ausente.",
      save: "Salvar",
      saved: "Salvo.",
    },
    departments: {
      title: "Distribuição automática por departamento",
      intro:
        "Ligada: conversas novas ou transferidas para o departamento vão, por ordem de chegada, ao membro Online com menos tempo desde a última atribuição e abaixo da capacidade.",
      empty: "Nenhum departamento ainda.",
      autoAssign: "Distribuir automaticamente",
      defaultCapacity: "Capacidade padrão",
      save: "Salvar",
    },
    errors: {
      notFound: "Membro ou departamento não encontrado.",
      forbidden: "Só supervisores e administradores veem e alteram a disponibilidade da equipe.",
      noMember: "Esta chave não pertence a um membro da organização.",
      status: "Escolha online, away ou offline.",
      capacity: "Use um número inteiro de 0 a 100.",
      awayAfter: "Use um número de minutos de 1 a 1440.",
    },
  },
  en: {
    title: "Team availability",
    intro: "Only Online members receive conversations from auto-assignment (round-robin among the department's members, within their capacity).",
    status: { online: "Online", away: "Away", offline: "Offline" },
    control: { label: "Your availability", set: "Set" },
    columns: { member: "Member", status: "Status", since: "Since", lastSeen: "Last activity", load: "Open conversations", capacity: "Capacity" },
    team: { departmentDefault: "default", saveCapacity: "Save" },
    settings: {
      title: "Inactivity",
      awayAfter: "Turn Away after (minutes without activity)",
      awayAfterHint: "An Online member who does not use the admin for this long turns Away.",
      save: "Save",
      saved: "Saved.",
    },
    departments: {
      title: "Auto-assignment per department",
      intro: "On: conversations entering the department go, in order of arrival, to the Online member assigned longest ago and below their capacity.",
      empty: "No departments yet.",
      autoAssign: "Assign automatically",
      defaultCapacity: "Default capacity",
      save: "Save",
    },
    errors: {
      notFound: "Member or department not found.",
      forbidden: "Only supervisors and admins see and change the team's availability.",
      noMember: "This key does not belong to a member of the organization.",
      status: "Choose online, away or offline.",
      capacity: "Use a whole number from 0 to 100.",
      awayAfter: "Use a number of minutes from 1 to 1440.",
    },
  },
} satisfies Catalog;
