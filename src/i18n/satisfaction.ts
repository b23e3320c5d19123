import type { Catalog } from "./index";

export default {
  "pt-BR": {},
  en: {},
} satisfies Catalog;
