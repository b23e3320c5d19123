import type { AppError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { Document } from "./layouts/document";

/** Error page (or fragment for htmx) that shows the public message only, never internals. */
export function ErrorPage({ error, requestId, fragment }: { error: AppError; requestId: string; fragment: boolean }) {
  const body = (
    <div class="card error-page">
      <h1>{t("shell:errorPage.heading", { status: error.status, code: tText(`shell:errorPage.codes.${error.code}`) })}</h1>
      <p safe>{error.message}</p>
      {error.details?.length ? (
        <ul>
          {error.details.map((d) => (
            <li safe>{`${d.path}: ${d.message}`}</li>
          ))}
        </ul>
      ) : (
        ""
      )}
      <p class="muted small">{t("shell:errorPage.requestId", { id: requestId })}</p>
      {fragment ? "" : <a href="/">{t("shell:errorPage.backToDashboard")}</a>}
    </div>
  );
  if (fragment) return body;
  return (
    <Document title={tText("shell:errorPage.title")} csrfToken="">
      <main class="public public-wide">{body}</main>
    </Document>
  );
}
