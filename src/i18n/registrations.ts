import type { Catalog } from "./index";

/** Platform administration: sign-up requests under SIGNUP=approval, and the platform tabs. */
export default {
  "pt-BR": {
    tabsLabel: "Plataforma",
    tabs: {
      users: "Usuários",
      registrations: "Pedidos de cadastro",
    },
    title: "Pedidos de cadastro",
    reviewed: "Novos cadastros aguardam aqui até um administrador da plataforma aprová-los ou recusá-los; antes disso o solicitante não consegue entrar.",
    notReviewed: "Os cadastros não são revisados neste servidor no momento (defina SIGNUP=approval para revisá-los).",
    status: {
      pending: "Aguardando",
      approved: "Aprovados",
      rejected: "Recusados",
    },
    emptyPending: "Nenhum cadastro aguardando.",
    empty: "Nada aqui ainda.",
    columns: {
      email: "E-mail",
      name: "Nome",
      organization: "Organização",
      requested: "Pedido em",
      reviewedAt: "Revisado em",
      reason: "Motivo",
      actions: "Ações",
    },
    approve: "Aprovar",
    reject: "Recusar",
    reason: "Motivo",
    reasonPlaceholder: "Motivo (enviado ao solicitante)",
    flash: {
      approved: "{{email}} aprovado: a conta e {{organization}} foram criadas.",
      rejected: "{{email}} foi recusado.",
    },
    errors: {
      platformAdminsOnly: "Só administradores da plataforma podem fazer isso",
      notFound: "Pedido de cadastro não encontrado",
      alreadyApproved: "Este pedido já foi aprovado.",
      alreadyRejected: "Este pedido já foi recusado.",
      accountExists: "Já existe uma conta com {{email}} (convidada ou criada nesse meio-tempo); recuse este pedido.",
      reasonRequired: "Diga por que o pedido foi recusado",
    },
  },
  en: {
    tabsLabel: "Platform",
    tabs: {
      users: "Users",
      registrations: "Sign-up requests",
    },
    title: "Sign-up requests",
    reviewed: "New sign-ups wait here until a platform administrator approves or rejects them; the applicant cannot sign in before.",
    notReviewed: "Sign-ups are not reviewed on this server right now (set SIGNUP=approval to review them).",
    status: {
      pending: "Waiting",
      approved: "Approved",
      rejected: "Declined",
    },
    emptyPending: "No sign-up is waiting.",
    empty: "Nothing here yet.",
    columns: {
      email: "Email",
      name: "Name",
      organization: "Organization",
      requested: "Requested",
      reviewedAt: "Reviewed",
      reason: "Reason",
      actions: "Actions",
    },
    approve: "Approve",
    reject: "Reject",
    reason: "Reason",
    reasonPlaceholder: "Reason (sent to the applicant)",
    flash: {
      approved: "{{email}} approved: the account and {{organization}} were created.",
      rejected: "{{email}} was declined.",
    },
    errors: {
      platformAdminsOnly: "Only platform administrators can do this",
      notFound: "Registration request not found",
      alreadyApproved: "This request was already approved.",
      alreadyRejected: "This request was already rejected.",
      accountExists: "An account with {{email}} exists now (invited or created meanwhile); reject this request.",
      reasonRequired: "Say why the request is declined",
    },
  },
} satisfies Catalog;
