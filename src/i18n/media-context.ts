import type { Catalog } from "./index";

/** How a customer's media reads to an AI model when it cannot take the file itself (src/features/workflows/media-context.ts). */
export default {
  "pt-BR": {
    image: "[imagem]",
    imageWith: "[imagem: {{detail}}]",
    video: "[vídeo]",
    videoWith: "[vídeo: {{detail}}]",
    sticker: "[figurinha]",
    stickerWith: "[figurinha: {{detail}}]",
    document: "[documento]",
    documentWith: "[documento: {{detail}}]",
    audioNoTranscript: "[áudio sem transcrição]",
    form: {
      vision: "O modelo entende imagens (visão)",
      visionHint:
        "Ligado: as fotos dos clientes chegam ao modelo como imagens. Desligado: como o texto “[imagem: legenda]”. Áudios chegam como transcrição e documentos como texto extraído.",
    },
  },
  en: {
    image: "[image]",
    imageWith: "[image: {{detail}}]",
    video: "[video]",
    videoWith: "[video: {{detail}}]",
    sticker: "[sticker]",
    stickerWith: "[sticker: {{detail}}]",
    document: "[document]",
    documentWith: "[document: {{detail}}]",
    audioNoTranscript: "[audio without transcript]",
    form: {
      vision: "The model understands images (vision)",
      visionHint:
        "On: customers' photos reach the model as images. Off: as the text “[image: caption]”. Voice notes arrive as transcripts and documents as extracted text.",
    },
  },
} satisfies Catalog;
