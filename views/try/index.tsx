import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import type { Instance } from "@/db/schema";
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
        <h2>{t("try:key.title")}</h2>
        <p class="muted">{t("try:key.shownOnce")}</p>
        <form method="post" action="/try/key" hx-post="/try/key" hx-target="#try-key" hx-swap="outerHTML" hx-confirm={tText("try:key.replaceConfirm")}>
          <CsrfField token={csrfToken} />
          <button type="submit" class="secondary">
            {t("try:key.newKey")}
          </button>
        </form>
      </section>
    );
  }
  return (
    <section id="try-key" class="card created-secret" role="status">
      <h2>{t("try:key.title")}</h2>
      <p>{t("try:key.copyNow")}</p>
      <div class="row">
        <code id="try-key-secret" class="secret" safe>
          {secret}
        </code>
        <button type="button" class="secondary" data-copy="#try-key-secret" data-copied={tText("try:key.copied")}>
          {t("try:key.copy")}
        </button>
      </div>
      <p>{t("try:key.firstMessage")}</p>
      <pre id="try-curl" safe>
        {tryCurl(appUrl, secret)}
      </pre>
      <button type="button" class="secondary" data-copy="#try-curl" data-copied={tText("try:key.copied")}>
        {t("try:key.copyCommand")}
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
    <PublicLayout title={tText("try:title")} csrfToken={csrfToken} flash={flash} wide>
      <h1>{t("try:heading")}</h1>
      <p>{t("try:intro")}</p>
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
          <h2>{t("try:create.title")}</h2>
          <p class="muted">{t("try:create.explain")}</p>
          <form method="post" action="/try">
            <CsrfField token={csrfToken} />
            <button type="submit">{t("try:create.submit")}</button>
          </form>
        </section>
      )}
      <section class="card">
        <h2>{t("try:keep.title")}</h2>
        <p>
          <a href="/signup" class="button">
            {t("try:keep.signUp")}
          </a>{" "}
          <span class="muted">{t("try:keep.comesWithYou")}</span>
          {t("try:keep.haveAccount")}
          <a href="/login">{t("try:keep.signIn")}</a>.
        </p>
      </section>
    </PublicLayout>
  );
}
