import type { PropsWithChildren } from "@kitajs/html";
import { currentLocale, tText } from "@/lib/i18n";

/** The bare HTML document: assets, htmx with the CSRF header on every request. */
export function Document({ title, csrfToken, children }: PropsWithChildren<{ title: string; csrfToken: string }>) {
  const hxHeaders = JSON.stringify({ "X-CSRF-Token": csrfToken });
  return (
    <>
      {"<!doctype html>"}
      <html lang={currentLocale()}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          {/* The CSP allows no eval and no inline style elements: htmx must need neither (its indicator styles live in app.css). */}
          <meta name="htmx-config" content='{"allowEval":false,"includeIndicatorStyles":false}' />
          <title safe>{`${title} · LivChat`}</title>
          <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/static/app.css" />
          <script src="/static/htmx.min.js" defer></script>
          <script src="/static/app.js" defer></script>
        </head>
        <body hx-headers={hxHeaders} data-request-failed={tText("common:errors.requestFailed", { status: "{status}" })}>
          {children}
        </body>
      </html>
    </>
  );
}
