import type { Catalog } from "./index";

/** Try before sign-up: the visitor's sandbox number, its key and the curl example. */
export default {
  "pt-BR": {
    title: "Experimente o LivChat",
    heading: "Experimente o LivChat — sem precisar de conta",
    intro:
      "Ganhe um número de WhatsApp simulado, pareie-o como um celular faria e envie mensagens pela mesma API que você usaria em produção. Ao se cadastrar, o número, a chave dele e as mensagens vão para a sua nova organização.",
    create: {
      title: "1 · Crie seu número sandbox",
      explain:
        "Ele se comporta como um número de WhatsApp real: pareamento por QR code, confirmações enviada → entregue → lida e mensagens recebidas que você simula.",
      submit: "Criar meu número sandbox",
    },
    key: {
      title: "Sua chave de API",
      shownOnce: "Ela foi mostrada uma vez, quando seu número foi criado, e é guardada apenas como hash. Perdeu?",
      replaceConfirm: "Substituir sua chave? A antiga para de funcionar.",
      newKey: "Criar uma chave nova",
      copyNow: "Copie agora: ela está vinculada a este número sandbox e <strong>não será mostrada de novo</strong>.",
      copy: "Copiar",
      copied: "Copiado",
      firstMessage: "Envie sua primeira mensagem (pareie o número antes):",
      copyCommand: "Copiar comando",
    },
    keep: {
      title: "Fique com ele",
      signUp: "Cadastre-se grátis",
      comesWithYou: "— seu número sandbox e sua chave vão junto.",
      haveAccount: " Já tem uma conta? ",
      signIn: "Entrar",
    },
    instanceName: "Meu número sandbox",
    received: "Recebida. Seus webhooks e o GET /v1/events já a veem.",
    errors: {
      startFirst: "Comece uma avaliação em /try primeiro",
      tooMany: "Números de avaliação demais a partir desta rede; tente de novo em uma hora ou cadastre-se",
    },
  },
  en: {
    title: "Try LivChat",
    heading: "Try LivChat — no account needed",
    intro:
      "Get a simulated WhatsApp number, pair it like a phone would, and send messages through the same API you would use in production. When you sign up, the number, its key and its messages move into your new organization.",
    create: {
      title: "1 · Create your sandbox number",
      explain: "It behaves like a real WhatsApp number: QR pairing, sent → delivered → read receipts, incoming messages you simulate.",
      submit: "Create my sandbox number",
    },
    key: {
      title: "Your API key",
      shownOnce: "It was shown once, when your number was created, and is stored only as a hash. Lost it?",
      replaceConfirm: "Replace your key? The old one stops working.",
      newKey: "Create a new key",
      copyNow: "Copy it now: it is bound to this sandbox number and <strong>will not be shown again</strong>.",
      copy: "Copy",
      copied: "Copied",
      firstMessage: "Send your first message (pair the number first):",
      copyCommand: "Copy command",
    },
    keep: {
      title: "Keep it",
      signUp: "Sign up free",
      comesWithYou: "— your sandbox number and key come with you.",
      haveAccount: " Already have an account? ",
      signIn: "Sign in",
    },
    instanceName: "My sandbox number",
    received: "Received. Your webhooks and GET /v1/events see it now.",
    errors: {
      startFirst: "Start a trial first at /try",
      tooMany: "Too many trial numbers from this network; try again in an hour or sign up",
    },
  },
} satisfies Catalog;
