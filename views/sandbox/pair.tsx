import { PublicLayout } from "../layouts/public";
import { CsrfField } from "../components/ui";

type Props = { csrfToken: string; token: string; instanceName: string; status: string; paired?: boolean };

/** The page a phone "opens" when it scans a sandbox QR code: one button pairs the instance. */
export function SandboxPairPage({ csrfToken, token, instanceName, status, paired }: Props) {
  const connected = paired || status === "connected";
  return (
    <PublicLayout title="Pair sandbox number" csrfToken={csrfToken}>
      <h1>Sandbox phone</h1>
      {connected ? (
        <div>
          <p>
            <strong safe>{instanceName}</strong> is paired with this simulated phone.
          </p>
          <p class="muted">You can close this tab; the instance page updates by itself.</p>
        </div>
      ) : (
        <form method="post" action={`/sandbox/pair/${encodeURIComponent(token)}`}>
          <p>
            Pair the sandbox instance <strong safe>{instanceName}</strong> as if this phone had scanned its QR code.
          </p>
          <CsrfField token={csrfToken} />
          <button type="submit" style="width:100%">
            Pair
          </button>
        </form>
      )}
    </PublicLayout>
  );
}
