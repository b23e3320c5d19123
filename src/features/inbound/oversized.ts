import { createHmac } from "node:crypto";
import { digestMatches } from "./inbound.webhooks";

/**
 * WuzAPI webhooks carry downloaded media inline (base64), so a big video makes a body larger than
 * HOOKS_MAX_BODY_BYTES. Refusing it (413) would lose the message itself — WuzAPI does not retry — so such
 * a body is read as a stream instead of being held: every byte goes through the HMAC, and a reduced copy
 * keeps everything but the contents of very long JSON strings (the base64). The message is then stored
 * with its media refused as too large (recorded on it), and nothing big is ever in memory.
 *
 * Bodies are still bounded: past HOOKS_MAX_BODY_BYTES × OVERSIZED_HOOK_FACTOR the read stops (413).
 */
export const OVERSIZED_HOOK_FACTOR = 16;

/** JSON strings longer than this lose the rest of their content in the reduced copy. */
const KEEP_STRING_CHARS = 4096;
/** Form fields other than `jsonData` (userID, instanceName, token) are short; more is cut. */
const KEEP_FIELD_CHARS = 1024;

/**
 * Copies JSON text, cutting the content of long strings. Escape sequences are kept whole or dropped
 * whole, so the copy stays valid JSON; inside a cut string, quotes and backslashes are searched for
 * instead of read character by character (base64 has neither).
 */
class JsonShrinker {
  private readonly out: string[] = [];
  private inString = false;
  private length = 0;
  /** The escape sequence being read (`\` then one character, or `\u` and four hex digits). */
  private escape = "";
  cut = false;

  feed(text: string): void {
    let i = 0;
    while (i < text.length) {
      if (!this.inString) {
        const quote = text.indexOf('"', i);
        const end = quote === -1 ? text.length : quote + 1;
        this.out.push(text.slice(i, end));
        if (quote !== -1) {
          this.inString = true;
          this.length = 0;
        }
        i = end;
        continue;
      }
      if (this.escape) {
        this.escape += text[i]!;
        i++;
        const complete = this.escape.length === 2 ? this.escape[1] !== "u" : this.escape.length === 6;
        if (complete) {
          if (this.length < KEEP_STRING_CHARS) this.out.push(this.escape);
          else this.cut = true;
          this.length++;
          this.escape = "";
        }
        continue;
      }
      if (this.length >= KEEP_STRING_CHARS) {
        // Past the kept part: jump to the next quote or backslash.
        const next = text.slice(i).search(/["\\]/);
        if (next === -1) {
          this.length += text.length - i;
          this.cut = true;
          return;
        }
        if (next > 0) this.cut = true;
        this.length += next;
        i += next;
      }
      const c = text[i]!;
      if (c === '"') {
        this.out.push('"');
        this.inString = false;
        i++;
      } else if (c === "\\") {
        this.escape = "\\";
        i++;
      } else {
        const room = KEEP_STRING_CHARS - this.length;
        const stop = text.slice(i).search(/["\\]/);
        const run = stop === -1 ? text.length - i : stop;
        const kept = Math.min(run, Math.max(room, 0));
        if (kept > 0) this.out.push(text.slice(i, i + kept));
        if (run > kept) this.cut = true;
        this.length += run;
        i += run;
      }
    }
  }

  text(): string {
    return this.out.join("");
  }
}

/** Streaming `application/x-www-form-urlencoded`: `jsonData` through the JSON shrinker, other fields kept short. */
class FormReader {
  private name = "";
  private inValue = false;
  /** A `%` escape split across chunks. */
  private pending = "";
  private readonly decoder = new TextDecoder();
  private readonly json = new JsonShrinker();
  private small = "";
  readonly fields = new Map<string, string>();

  get cut(): boolean {
    return this.json.cut;
  }

  feed(chunk: string): void {
    let text = this.pending + chunk;
    this.pending = "";
    const tail = /%[0-9A-Fa-f]?$/.exec(text);
    if (tail) {
      this.pending = tail[0];
      text = text.slice(0, tail.index);
    }
    let i = 0;
    while (i < text.length) {
      if (!this.inValue) {
        const eq = text.indexOf("=", i);
        const amp = text.indexOf("&", i);
        if (amp !== -1 && (eq === -1 || amp < eq)) {
          this.name += text.slice(i, amp);
          this.endField();
          i = amp + 1;
          continue;
        }
        if (eq === -1) {
          this.name += text.slice(i);
          return;
        }
        this.name += text.slice(i, eq);
        this.name = decodeURIComponent(this.name.replace(/\+/g, " "));
        this.inValue = true;
        i = eq + 1;
        continue;
      }
      const amp = text.indexOf("&", i);
      const end = amp === -1 ? text.length : amp;
      this.value(text.slice(i, end));
      if (amp === -1) return;
      this.endField();
      i = amp + 1;
    }
  }

  end(): void {
    this.endField();
  }

  private value(encoded: string): void {
    // Percent-decoding to bytes first: one UTF-8 character may be split over several escapes and chunks.
    const out = new Uint8Array(encoded.length);
    let n = 0;
    for (let j = 0; j < encoded.length; j++) {
      const c = encoded.charCodeAt(j);
      if (c === 37 /* % */) {
        out[n++] = Number.parseInt(encoded.slice(j + 1, j + 3), 16);
        j += 2;
      } else out[n++] = c === 43 /* + */ ? 32 : c;
    }
    const text = this.decoder.decode(out.subarray(0, n), { stream: true });
    if (this.name === "jsonData") this.json.feed(text);
    else if (this.small.length < KEEP_FIELD_CHARS) this.small += text.slice(0, KEEP_FIELD_CHARS - this.small.length);
  }

  private endField(): void {
    if (this.inValue || this.name) {
      const rest = this.decoder.decode();
      if (this.name === "jsonData") {
        this.json.feed(rest);
        this.fields.set("jsonData", this.json.text());
      } else if (this.name) {
        this.fields.set(this.name, (this.small + rest).slice(0, KEEP_FIELD_CHARS));
      }
    }
    this.name = "";
    this.inValue = false;
    this.small = "";
  }
}

export type OversizedBody =
  | { ok: true; signed: boolean; size: number; cut: boolean; text: string; form: Map<string, string> | null }
  | { ok: false; size: number };

/**
 * Reads a WuzAPI webhook body as a stream: `prefix` (already read) then the rest of `reader`, every
 * byte through HMAC-SHA256 with `hmacKey`, a reduced copy kept (see above). Stops at `ceiling` bytes.
 */
export async function readOversizedWuzapiBody(opts: {
  prefix: Uint8Array[];
  reader: ReadableStreamDefaultReader<Uint8Array>;
  contentType: string | null;
  hmacKey: string;
  signature: string | null;
  ceiling: number;
}): Promise<OversizedBody> {
  const hmac = createHmac("sha256", opts.hmacKey);
  const form = opts.contentType?.includes("application/x-www-form-urlencoded") ? new FormReader() : null;
  const json = form ? null : new JsonShrinker();
  const decoder = new TextDecoder();
  let size = 0;
  const take = (chunk: Uint8Array) => {
    size += chunk.byteLength;
    hmac.update(chunk);
    const text = decoder.decode(chunk, { stream: true });
    if (form) form.feed(text);
    else json!.feed(text);
  };
  for (const chunk of opts.prefix) take(chunk);
  if (size > opts.ceiling) {
    await opts.reader.cancel().catch(() => {});
    return { ok: false, size };
  }
  for (;;) {
    const { done, value } = await opts.reader.read();
    if (done) break;
    if (size + value.byteLength > opts.ceiling) {
      await opts.reader.cancel().catch(() => {});
      return { ok: false, size: size + value.byteLength };
    }
    take(value);
  }
  const last = decoder.decode();
  if (form) {
    form.feed(last);
    form.end();
  } else json!.feed(last);
  const signed = digestMatches(hmac.digest(), opts.signature?.trim() ?? "");
  return { ok: true, signed, size, cut: form ? form.cut : json!.cut, text: form ? "" : json!.text(), form: form ? form.fields : null };
}
