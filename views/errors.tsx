import type { AppError } from "@/lib/errors";
import { Document } from "./layouts/document";

/** Error page (or fragment for htmx) that shows the public message only, never internals. */
export function ErrorPage({ error, requestId, fragment }: { error: AppError; requestId: string; fragment: boolean }) {
  const body = (
    <div class="card error-page">
      <h1 safe>{`${error.status} · ${error.code.replace("_", " ")}`}</h1>
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
      <p class="muted small" safe>{`Request id ${requestId}`}</p>
      {fragment ? "" : <a href="/">Back to the dashboard</a>}
    </div>
  );
  if (fragment) return body;
  return (
    <Document title="Error" csrfToken="">
      <main class="public public-wide">{body}</main>
    </Document>
  );
}
