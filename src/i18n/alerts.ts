import type { Catalog } from "./index";

/** Supervisor alerts (SLA breaches, urgency words, urgent sentiment), their settings page and the service's rules. */
export default {
  "pt-BR": {
    title: "Alertas",
    settingsTitle: "Alertas e metas de atendimento",
    intro: "Metas de primeira resposta e resolução por departamento e palavras de urgência. O tempo fora do horário de atendimento não conta.",
    empty: "Nenhum alerta aberto.",
    types: {
      first_response_sla: "Primeira resposta atrasada",
      resolution_sla: "Resolução atrasada",
      keyword: "Palavra de urgência",
      urgency: "Urgência detectada",
    },
    severities: { low: "Baixa", medium: "Média", high: "Alta", critical: "Crítica" },
    messages: {
      firstResponse: "Sem resposta há {{minutes}} min (meta: {{target}} min)",
      resolution: "Aberta há {{minutes}} min sem resolução (meta: {{target}} min)",
      keyword: "Mensagem com palavra de urgência: “{{keyword}}”",
    },
    resolve: "Resolver",
    resolved: "Resolvido",
    keywords: {
      title: "Palavras de urgência",
      label: "Palavras ou expressões (uma por linha)",
      hint: "Uma mensagem do contato que contenha uma delas gera um alerta. Maiúsculas e acentos não importam.",
    },
    targets: {
      title: "Metas por departamento",
      department: "Departamento",
      firstResponse: "Primeira resposta (min)",
      resolution: "Resolução (min)",
      none: "Crie departamentos para definir metas.",
      hint: "Vazio: sem meta.",
    },
    save: "Salvar",
    flash: { saved: "Configurações de alertas salvas." },
    errors: {
      notFound: "Alerta não encontrado",
      forbidden: "Somente supervisores e administradores acompanham alertas.",
      adminsOnly: "Somente administradores mudam as configurações de alertas.",
      departmentNotFound: "Departamento não encontrado",
      targetPositive: "Informe minutos maiores que zero",
    },
  },
  en: {
    title: "Alerts",
    settingsTitle: "Alerts and service targets",
    intro: "First-response and resolution targets per department, and urgency words. Time outside business hours does not count.",
    empty: "No open alerts.",
    types: {
      first_response_sla: "First response late",
      resolution_sla: "Resolution late",
      keyword: "Urgency word",
      urgency: "Urgency detected",
    },
    severities: { low: "Low", medium: "Medium", high: "High", critical: "Critical" },
    messages: {
      firstResponse: "No answer for {{minutes}} min (target: {{target}} min)",
      resolution: "Open for {{minutes}} min without resolution (target: {{target}} min)",
      keyword: "Message with an urgency word: “{{keyword}}”",
    },
    resolve: "Resolve",
    resolved: "Resolved",
    keywords: {
      title: "Urgency words",
      label: "Words or phrases (one per line)",
      hint: "A contact's message containing one of them raises an alert. Case and accents do not matter.",
    },
    targets: {
      title: "Targets per department",
      department: "Department",
      firstResponse: "First response (min)",
      resolution: "Resolution (min)",
      none: "Create departments to set targets.",
      hint: "Empty: no target.",
    },
    save: "Save",
    flash: { saved: "Alert settings saved." },
    errors: {
      notFound: "Alert not found",
      forbidden: "Only supervisors and admins follow alerts.",
      adminsOnly: "Only admins change alert settings.",
      departmentNotFound: "Department not found",
      targetPositive: "Enter minutes greater than zero",
    },
  },
} satisfies Catalog;
