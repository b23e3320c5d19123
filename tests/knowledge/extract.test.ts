// Text extraction (src/features/knowledge/extract.ts) on real small files: a PDF written by pdf-lib, a
// DOCX written by the docx package (tests/fixtures/knowledge/make-fixtures.ts made both), an HTML page.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkText } from "@/features/knowledge/knowledge.chunk";
import { ExtractionError, extractableKind, extractText } from "@/features/knowledge/extract";
import { DOCX_PARAGRAPHS, PDF_LINES } from "../fixtures/knowledge/make-fixtures";

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dir, "../fixtures/knowledge", name)));
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

describe("extractText", () => {
  test("PDF: every line of the page, in order", async () => {
    const text = await extractText(fixture("precos.pdf"), "application/pdf");
    expect(text.split("\n")).toEqual(PDF_LINES);
  });

  test("DOCX: the paragraphs, accents intact; the type may come from the file name alone", async () => {
    expect(await extractText(fixture("trocas.docx"), DOCX)).toBe(DOCX_PARAGRAPHS.join("\n\n"));
    expect(await extractText(fixture("trocas.docx"), "application/octet-stream", "Trocas.DOCX")).toBe(DOCX_PARAGRAPHS.join("\n\n"));
  });

  test("HTML: visible text only — no script, style, navigation or link URLs; headings keep their case; tables read", async () => {
    const text = await extractText(fixture("horarios.html"), "text/html; charset=utf-8");
    expect(text).toContain("Horários de atendimento");
    expect(text).toContain("Atendemos de segunda a sexta, das 8h às 20h, e aos sábados das 9h às 14h.");
    expect(text).toContain("WhatsApp");
    expect(text).toContain("página de dúvidas");
    for (const hidden of ["analytics", "font-family", "Início", "https://example.com/faq"]) expect(text).not.toContain(hidden);
  });

  test("text and Markdown as UTF-8 (BOM dropped, spaces tidied)", async () => {
    const bytes = new TextEncoder().encode("\uFEFF# Título\r\n\r\n\r\n\r\nLinha   com   espaços");
    expect(await extractText(bytes, "text/markdown")).toBe("# Título\n\nLinha com espaços");
    expect(await extractText(new TextEncoder().encode("a,b\n1,2"), "", "dados.csv")).toBe("a,b\n1,2");
  });

  test("unsupported types and damaged files are ExtractionError with a reason", async () => {
    expect(extractableKind("image/png", "foto.png")).toBeNull();
    const unsupported = await extractText(new Uint8Array([1, 2, 3]), "image/png", "foto.png").catch((e) => e);
    expect(unsupported).toBeInstanceOf(ExtractionError);
    expect(unsupported.reason).toBe("unsupported");
    const broken = await extractText(new TextEncoder().encode("%PDF-1.7 garbage"), "application/pdf").catch((e) => e);
    expect(broken).toBeInstanceOf(ExtractionError);
    expect(broken.reason).toBe("unreadable");
    const notZip = await extractText(new TextEncoder().encode("not a zip"), DOCX).catch((e) => e);
    expect(notZip).toBeInstanceOf(ExtractionError);
  });
});

describe("chunkText", () => {
  test("short text is one passage; long text is split at paragraph and sentence boundaries with overlap", () => {
    expect(chunkText("Uma frase só.", { size: 100, overlap: 20 })).toEqual(["Uma frase só."]);
    const sentences = Array.from({ length: 40 }, (_, i) => `Frase número ${i} sobre o assunto.`);
    const text = [sentences.slice(0, 20).join(" "), sentences.slice(20).join(" ")].join("\n\n");
    const chunks = chunkText(text, { size: 300, overlap: 80 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(300 + 80);
    // Every sentence is in some passage, whole.
    for (const s of sentences) expect(chunks.some((c) => c.includes(s))).toBe(true);
    // Consecutive passages share their boundary sentence (the overlap).
    for (let i = 1; i < chunks.length; i++) {
      const firstOfNext = chunks[i]!.split("\n")[0]!;
      expect(chunks[i - 1]!).toContain(firstOfNext);
    }
  });

  test("a word longer than the passage is cut rather than lost", () => {
    const chunks = chunkText("x".repeat(250), { size: 100, overlap: 0 });
    expect(chunks.join("")).toBe("x".repeat(250));
  });
});
