import { convert as htmlToText } from "html-to-text";
import mammoth from "mammoth";
import { extractText as extractPdfText } from "unpdf";

/**
 * Plain text out of a document's bytes, with maintained libraries: PDF through unpdf (PDF.js built for
 * server runtimes), DOCX through mammoth, HTML through html-to-text; TXT, Markdown, CSV and JSON are
 * read as UTF-8. Shared by the knowledge base and by documents contacts send over WhatsApp.
 */

export const EXTRACTABLE_KINDS = ["pdf", "docx", "html", "text"] as const;
export type ExtractableKind = (typeof EXTRACTABLE_KINDS)[number];

/** The document can't be read: an unsupported type or a damaged file (the message says which). */
export class ExtractionError extends Error {
  constructor(
    message: string,
    readonly reason: "unsupported" | "unreadable",
  ) {
    super(message);
    this.name = "ExtractionError";
  }
}

const DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const TEXT_MIMES = new Set(["text/plain", "text/markdown", "text/x-markdown", "text/csv", "application/json", "application/x-ndjson"]);
const EXTENSIONS: Record<string, ExtractableKind> = {
  pdf: "pdf",
  docx: "docx",
  html: "html",
  htm: "html",
  txt: "text",
  md: "text",
  markdown: "text",
  csv: "text",
  json: "text",
};

/** What kind of document this is, by MIME type (parameters ignored), else by the file name's extension; null when unsupported. */
export function extractableKind(mime: string, filename?: string): ExtractableKind | null {
  const type = mime.split(";")[0]!.trim().toLowerCase();
  if (type === "application/pdf") return "pdf";
  if (type === DOCX_MIME) return "docx";
  if (type === "text/html" || type === "application/xhtml+xml") return "html";
  if (TEXT_MIMES.has(type)) return "text";
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (ext && EXTENSIONS[ext]) return EXTENSIONS[ext];
  // Any other text/* (text/x-log, text/rtf is not text/*) is still readable as text.
  if (type.startsWith("text/")) return "text";
  return null;
}

/** Runs of spaces and more than one blank line collapse; what a reader sees stays. */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t\f\v\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** The visible text of an HTML page: no scripts, styles or link URLs; headings and paragraphs on their own lines. */
export function htmlText(html: string): string {
  return htmlToText(html, {
    wordwrap: false,
    selectors: [
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "script", format: "skip" },
      { selector: "style", format: "skip" },
      { selector: "nav", format: "skip" },
      { selector: "h1", options: { uppercase: false } },
      { selector: "h2", options: { uppercase: false } },
      { selector: "h3", options: { uppercase: false } },
      { selector: "h4", options: { uppercase: false } },
      { selector: "h5", options: { uppercase: false } },
      { selector: "h6", options: { uppercase: false } },
      { selector: "table", format: "dataTable", options: { uppercaseHeaderCells: false } },
    ],
  });
}

async function pdfText(bytes: Uint8Array): Promise<string> {
  // PDF.js takes ownership of (detaches) the buffer it is given: hand it a copy. unpdf destroys the document it opened.
  const { text } = await extractPdfText(new Uint8Array(bytes), { mergePages: false });
  return text.join("\n\n");
}

async function docxText(bytes: Uint8Array): Promise<string> {
  const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  return value;
}

/** UTF-8 text with a byte-order mark dropped; invalid sequences become U+FFFD rather than failing. */
const utf8 = (bytes: Uint8Array) => new TextDecoder("utf-8").decode(bytes).replace(/^\uFEFF/, "");

/**
 * The plain text of a document. `mime` decides (an unknown or generic one such as
 * application/octet-stream falls back to `filename`'s extension). Throws ExtractionError when the type
 * is unsupported or the file can't be parsed; an image-only PDF yields "" (no OCR).
 */
export async function extractText(bytes: Uint8Array, mime: string, filename?: string): Promise<string> {
  const kind = extractableKind(mime, filename);
  if (!kind) throw new ExtractionError(`unsupported document type: ${mime || "unknown"}`, "unsupported");
  try {
    if (kind === "pdf") return tidy(await pdfText(bytes));
    if (kind === "docx") return tidy(await docxText(bytes));
    if (kind === "html") return tidy(htmlText(utf8(bytes)));
    return tidy(utf8(bytes));
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    throw new ExtractionError(`could not read the ${kind.toUpperCase()} file: ${String((err as Error)?.message ?? err).slice(0, 200)}`, "unreadable");
  }
}
