/**
 * Where to go after signing in or switching organization: only a path on this site. Anything that a
 * browser could read as another origin (`//evil`, `/\evil`, `https://…`, control characters) falls
 * back to "/".
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 1000) return "/";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a next path with control characters is refused.
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\") || /[\u0000-\u001f\u007f\s]/.test(raw)) return "/";
  try {
    const url = new URL(raw, "http://localhost");
    if (url.origin !== "http://localhost") return "/";
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return "/";
  }
}
