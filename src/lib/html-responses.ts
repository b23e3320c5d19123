import { Elysia } from "elysia";

/** A rendered view: a string that starts with a tag and ends with one (leading/trailing blanks allowed). */
function isMarkup(value: string): boolean {
  const text = value.trim();
  return text.length >= 7 && text[0] === "<" && text[text.length - 1] === ">";
}

/**
 * Page handlers return the string a JSX view renders (@kitajs/html); this serves such strings as
 * text/html unless the handler chose its own content type. It replaces @elysiajs/html, whose global
 * derive built its unused html()/stream() helpers, and was awaited, on every request of every route,
 * the JSON API included: a measurable share of a cached /v1 call.
 */
export const htmlResponses = new Elysia({ name: "livchat-html-responses" }).mapResponse({ as: "global" }, ({ responseValue, set }) => {
  if (typeof responseValue !== "string" || !isMarkup(responseValue)) return;
  // Elysia puts `set.headers` onto the returned Response, so a handler's own content type still wins.
  set.headers["content-type"] ??= "text/html; charset=utf-8";
  return new Response(responseValue);
});
