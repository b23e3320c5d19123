import { t, tText } from "@/lib/i18n";
import { PublicLayout } from "../layouts/public";
import { CsrfField } from "../components/ui";

type Props = { csrfToken: string; token: string; instanceName: string; status: string; paired?: boolean };

/** The page a phone "opens" when it scans a sandbox QR code: one button pairs the instance. */
export function SandboxPairPage({ csrfToken, token, instanceName, status, paired }: Props) {
  const connected = paired || status === "connected";
  return (
    <PublicLayout title={tText("instances:sandbox.title")} csrfToken={csrfToken}>
      <h1>{t("instances:sandbox.heading")}</h1>
      {connected ? (
        <div>
          <p>{t("instances:sandbox.paired", { name: instanceName })}</p>
          <p class="muted">{t("instances:sandbox.closeTab")}</p>
        </div>
      ) : (
        <form method="post" action={`/sandbox/pair/${encodeURIComponent(token)}`}>
          <p>{t("instances:sandbox.intro", { name: instanceName })}</p>
          <CsrfField token={csrfToken} />
          <button type="submit" style="width:100%">
            {t("instances:sandbox.pair")}
          </button>
        </form>
      )}
    </PublicLayout>
  );
}
