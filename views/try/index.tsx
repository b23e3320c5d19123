import type { Flash } from "@/lib/flash";
import type { Instance } from "@/providers/provider";
import { PublicLayout } from "../layouts/public";
import { CsrfField } from "../components/ui";
import { ConnectionPanel, type QrView } from "../instances/_connection";
import { SimulatorForm, type FormState } from "../instances/_forms";

/** The copy-paste example of the try page: one text message through the visitor's sandbox. */
export function tryCurl(appUrl: string, secret: string): string {
  return [
    `curl -X POST ${appUrl}/v1/messages \\`,
    `  -H "Authorization: Bearer ${secret}" \\`,
    `  -H "content-type: application/json" \\`,
    `  -d '{"to":"+5511999990001","type":"text","text":"Olá"}'`,
  ].join("\n");
}

/** The key card: the full key exactly once (served no-store), afterwards a way to get a new one. */
export function TryKey({ csrfToken, secret, appUrl }: { csrfToken: string; secret?: string; appUrl: string }) {
  if (!secret) {
    return (
      <section id="try-key" class="card">
        <h2>Your API key</h2>
        <p class="muted">It was shown once, when your number was created, and is stored only as a hash. Lost it?</p>
        <form method="post" action="/try/key" hx-post="/try/key" hx-target="#try-key" hx-swap="outerHTML" hx-confirm="Replace your key? The old one stops working.">
          <CsrfField token={csrfToken} />
          <button type="submit" class="secondary">
            Create a new key
          </button>
        </form>
      </section>
    );
  }
  return (
    <section id="try-key" class="card created-secret" role="status">
      <h2>Your API key</h2>
      <p>
        Copy it now: it is bound to this sandbox number and <strong>will not be shown again</strong>.
      </p>
      <div class="row">
        <code id="try-key-secret" class="secret" safe>
          {secret}
        </code>
        <button type="button" class="secondary" data-copy="#try-key-secret">
          Copy
        </button>
      </div>
      <p>Send your first message (pair the number first):</p>
      <pre id="try-curl" safe>
        {tryCurl(appUrl, secret)}
      </pre>
      <button type="button" class="secondary" data-copy="#try-curl">
        Copy command
      </button>
    </section>
  );
}

type Props = {
  csrfToken: string;
  flash?: Flash;
  appUrl: string;
  instance?: Instance | null;
  qr?: QrView;
  connectionError?: string;
  secret?: string;
  simulate?: FormState;
  error?: string;
};

/** Try before sign-up: a sandbox WhatsApp number, its QR with live status, a key and a curl example. */
export function TryPage({ csrfToken, flash, appUrl, instance, qr, connectionError, secret, simulate, error }: Props) {
  return (
    <PublicLayout title="Try LivChat" csrfToken={csrfToken} flash={flash} wide>
      <h1>Try LivChat — no account needed</h1>
      <p>
        Get a simulated WhatsApp number, pair it like a phone would, and send messages through the same API you would use in production. When you
        sign up, the number, its key and its messages move into your new organization.
      </p>
      {error ? (
        <p class="flash flash-error" role="alert" safe>
          {error}
        </p>
      ) : (
        ""
      )}
      {instance ? (
        <>
          <ConnectionPanel instance={instance} csrfToken={csrfToken} qr={qr} error={connectionError} base="/try" canManage showLogout={false} />
          <TryKey csrfToken={csrfToken} secret={secret} appUrl={appUrl} />
          {instance.status === "connected" ? <SimulatorForm base="/try" csrfToken={csrfToken} state={simulate} /> : ""}
        </>
      ) : (
        <section class="card">
          <h2>1 · Create your sandbox number</h2>
          <p class="muted">It behaves like a real WhatsApp number: QR pairing, sent → delivered → read receipts, incoming messages you simulate.</p>
          <form method="post" action="/try">
            <CsrfField token={csrfToken} />
            <button type="submit">Create my sandbox number</button>
          </form>
        </section>
      )}
      <section class="card">
        <h2>Keep it</h2>
        <p>
          <a href="/signup" class="button">
            Sign up free
          </a>{" "}
          <span class="muted">— your sandbox number and key come with you.</span> Already have an account? <a href="/login">Sign in</a>.
        </p>
      </section>
    </PublicLayout>
  );
}
