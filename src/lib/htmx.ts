/** True when the request came from htmx (fragment wanted) rather than a full page load. */
export function isHtmx(request: Request): boolean {
  return request.headers.get("hx-request") === "true";
}

/** Redirect that works for both htmx (HX-Redirect) and plain browser requests (303). */
export function hxRedirect(request: Request, location: string): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: { "HX-Redirect": location } });
  return new Response(null, { status: 303, headers: { Location: location } });
}

/** Builds an HX-Trigger header value for one or several client events. */
export function hxTrigger(events: Record<string, unknown>): Record<string, string> {
  return { "HX-Trigger": JSON.stringify(events) };
}
