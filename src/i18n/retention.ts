import type { Catalog } from "./index";

/** Retention of the event log, the webhook delivery log and messages (Settings → Data retention, /v1/retention). */
export default {
  "pt-BR": {
    title: "Retenção de dados",
    explain:
      "Por quanto tempo a organização guarda eventos, o histórico de entregas de webhooks e mensagens. Eventos e entregas vencidos são descartados por dia, inteiros.",
    eventsDays: "Eventos (dias)",
    deliveriesDays: "Entregas de webhooks e tentativas (dias)",
    messagesDays: "Mensagens (dias)",
    messagesHint: "Em branco: as mensagens são guardadas até serem apagadas.",
    changeNote:
      "Eventos e entregas: uma mudança vale para o que for registrado a partir de agora; o que já foi registrado mantém o prazo que tinha. Mensagens: o novo prazo vale para todas, em até uma hora.",
    saved: "Retenção de dados salva.",
    current: {
      events: "Eventos guardados por {{count}} dias.",
      deliveries: "Entregas de webhooks guardadas por {{count}} dias.",
      messages: "Mensagens guardadas por {{count}} dias.",
      messagesKept: "Mensagens guardadas até serem apagadas.",
    },
    errors: {
      eventsDays: "Informe um número inteiro de dias entre {{min}} e {{max}}.",
      deliveriesDays: "Informe um número inteiro de dias entre {{min}} e {{max}}.",
      messagesDays: "Informe um número inteiro de dias entre {{min}} e {{max}}, ou deixe em branco para guardar as mensagens.",
    },
  },
  en: {
    title: "Data retention",
    explain: "How long the organization keeps events, the webhook delivery log and messages. Expired events and deliveries are dropped a whole day at a time.",
    eventsDays: "Events (days)",
    deliveriesDays: "Webhook deliveries and attempts (days)",
    messagesDays: "Messages (days)",
    messagesHint: "Empty: messages are kept until deleted.",
    changeNote:
      "Events and deliveries: a change applies to what is recorded from now on; what was already recorded keeps the expiry it had. Messages: the new length applies to all of them within the hour.",
    saved: "Data retention saved.",
    current: {
      events: "Events kept for {{count}} days.",
      deliveries: "Webhook deliveries kept for {{count}} days.",
      messages: "Messages kept for {{count}} days.",
      messagesKept: "Messages kept until deleted.",
    },
    errors: {
      eventsDays: "Enter a whole number of days between {{min}} and {{max}}.",
      deliveriesDays: "Enter a whole number of days between {{min}} and {{max}}.",
      messagesDays: "Enter a whole number of days between {{min}} and {{max}}, or leave it empty to keep messages.",
    },
  },
} satisfies Catalog;
