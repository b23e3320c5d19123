/**
 * Splits extracted text into overlapping passages for retrieval. A small splitter of our own rather
 * than LangChain's RecursiveCharacterTextSplitter: that one drags in @langchain/core for forty lines of
 * logic. Same idea: cut at the largest natural boundary that fits (blank line, line, sentence, word),
 * then pack pieces up to `size` characters; each passage starts with the tail (up to `overlap`
 * characters, whole pieces) of the one before, so an answer straddling a cut is found in one passage.
 */
const SEPARATORS = [/\n{2,}/, /\n/, /(?<=[.!?;:])\s+/, /\s+/];

/** Pieces of at most `size` characters, cut at the coarsest separator that works. */
function pieces(text: string, size: number, level = 0): string[] {
  if (text.length <= size) return [text];
  const separator = SEPARATORS[level];
  if (!separator) {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
    return out;
  }
  return text
    .split(separator)
    .map((p) => p.trim())
    .filter(Boolean)
    .flatMap((p) => pieces(p, size, level + 1));
}

export function chunkText(text: string, opts: { size: number; overlap: number }): string[] {
  const parts = pieces(text.trim(), opts.size);
  const chunks: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const part of parts) {
    if (length > 0 && length + 1 + part.length > opts.size) {
      chunks.push(current.join("\n"));
      // Carry the last pieces (up to `overlap` characters) into the next passage.
      const carried: string[] = [];
      let carriedLength = 0;
      for (let i = current.length - 1; i >= 0; i--) {
        const p = current[i]!;
        if (carriedLength + p.length > opts.overlap) break;
        carried.unshift(p);
        carriedLength += p.length + 1;
      }
      current = carried;
      length = carriedLength;
    }
    current.push(part);
    length += part.length + 1;
  }
  if (current.length > 0) chunks.push(current.join("\n"));
  return chunks;
}
