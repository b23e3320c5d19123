import type { PropsWithChildren } from "@kitajs/html";
import { INSTANCE_LIMITS } from "@/features/instances/instance.schema";
import { MESSAGE_LIMITS } from "@/features/messages/message.schema";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import type { Instance } from "@/db/schema";
import { CsrfField, Field, SelectField, fieldError } from "../components/ui";

export type FormState = { values?: Record<string, string>; errors?: FieldError[]; notice?: string };

/** Errors that belong to no single field (limits, provider failures) shown above the form. */
function FormError({ errors, fields }: { errors?: FieldError[]; fields: string[] }) {
  const general = errors?.filter((e) => !fields.includes(e.path));
  if (!general || general.length === 0) return "";
  return (
    <p class="error" role="alert" safe>
      {general.map((e) => e.message).join(" ")}
    </p>
  );
}

function Notice({ text }: { text?: string }) {
  if (!text) return "";
  return (
    <p class="flash flash-success" role="status" safe>
      {text}
    </p>
  );
}

/** A card holding one form that swaps itself (outerHTML) with the server's answer. */
function FormCard({ id, title, action, csrfToken, children }: PropsWithChildren<{ id: string; title: string; action: string; csrfToken: string }>) {
  return (
    <section id={id} class="card">
      <h2 safe>{title}</h2>
      <form method="post" action={action} hx-post={action} hx-target={`#${id}`} hx-swap="outerHTML">
        <CsrfField token={csrfToken} />
        {children}
      </form>
    </section>
  );
}

const providerOptions = () => (["sandbox", "wuzapi", "cloud"] as const).map((value) => ({ value, label: tText(`instances:providers.${value}`) }));

export function CreateInstanceForm({ csrfToken, state }: { csrfToken: string; state?: FormState }) {
  const v = state?.values ?? {};
  const e = state?.errors;
  const fields = ["name", "provider", "config.phoneNumberId", "config.accessToken", "config.appSecret", "config.verifyToken", "config.wabaId"];
  return (
    <FormCard id="create-instance" title={tText("instances:create.title")} action="/instances" csrfToken={csrfToken}>
      <FormError errors={e} fields={fields} />
      <Field
        label={tText("instances:create.name")}
        name="name"
        value={v.name}
        errors={e}
        required
        maxlength={INSTANCE_LIMITS.nameMax}
        placeholder={tText("instances:create.namePlaceholder")}
      />
      <SelectField label={tText("instances:create.provider")} name="provider" options={providerOptions()} value={v.provider ?? "sandbox"} errors={e} />
      <fieldset>
        <legend>{t("instances:create.cloudLegend")}</legend>
        <CloudField
          label={tText("instances:create.phoneNumberId")}
          name="phoneNumberId"
          value={v.phoneNumberId}
          error={fieldError(e, "config.phoneNumberId")}
        />
        <CloudField label={tText("instances:create.accessToken")} name="accessToken" type="password" error={fieldError(e, "config.accessToken")} />
        <CloudField label={tText("instances:create.appSecret")} name="appSecret" type="password" error={fieldError(e, "config.appSecret")} />
        <CloudField label={tText("instances:create.verifyToken")} name="verifyToken" type="password" error={fieldError(e, "config.verifyToken")} />
        <CloudField label={tText("instances:create.wabaId")} name="wabaId" value={v.wabaId} error={fieldError(e, "config.wabaId")} />
        <small class="hint">{t("instances:create.secretsHint")}</small>
      </fieldset>
      <button type="submit">{t("instances:create.submit")}</button>
    </FormCard>
  );
}

function CloudField({ label, name, value, type, error }: { label: string; name: string; value?: string; type?: string; error?: string }) {
  const id = `f-${name}`;
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id} safe>
        {label}
      </label>
      <input id={id} name={name} type={type ?? "text"} value={value} maxlength={INSTANCE_LIMITS.cloudFieldMax} autocomplete="off" />
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

export function RenameForm({ instance, csrfToken, state }: { instance: Instance; csrfToken: string; state?: FormState }) {
  return (
    <FormCard id="rename-instance" title={tText("instances:rename.title")} action={`/instances/${instance.id}/rename`} csrfToken={csrfToken}>
      <Notice text={state?.notice} />
      <FormError errors={state?.errors} fields={["name"]} />
      <Field
        label={tText("instances:rename.name")}
        name="name"
        value={state?.values?.name ?? instance.name}
        errors={state?.errors}
        required
        maxlength={INSTANCE_LIMITS.nameMax}
      />
      <button type="submit">{t("instances:rename.submit")}</button>
    </FormCard>
  );
}

/** The WhatsApp connection proxy (WuzAPI, sandbox): the current one masked, a new address, or removal. */
export function ProxyForm({ instance, csrfToken, state }: { instance: Instance; csrfToken: string; state?: FormState }) {
  const current = typeof instance.providerConfig?.proxyMasked === "string" ? instance.providerConfig.proxyMasked : null;
  return (
    <FormCard id="instance-proxy" title={tText("instances:proxy.title")} action={`/instances/${instance.id}/proxy`} csrfToken={csrfToken}>
      <Notice text={state?.notice} />
      <FormError errors={state?.errors} fields={["url"]} />
      <p class="small muted">{t("instances:proxy.hint")}</p>
      <p class="small">
        {t("instances:proxy.current")}: {current ? <code safe>{current}</code> : t("instances:proxy.none")}
      </p>
      <Field
        label={tText("instances:proxy.url")}
        name="url"
        value={state?.values?.url ?? ""}
        errors={state?.errors}
        placeholder={tText("instances:proxy.placeholder")}
        maxlength={500}
      />
      <button type="submit" name="action" value="save">
        {t("instances:proxy.save")}
      </button>{" "}
      {current ? (
        <button type="submit" name="action" value="remove">
          {t("instances:proxy.remove")}
        </button>
      ) : (
        ""
      )}
    </FormCard>
  );
}

export function PairingForm({ base, csrfToken, state, code }: { base: string; csrfToken: string; state?: FormState; code?: string }) {
  return (
    <FormCard id="pairing-code" title={tText("instances:pairing.title")} action={`${base}/pairing-code`} csrfToken={csrfToken}>
      <p class="small muted">{t("instances:pairing.intro")}</p>
      <FormError errors={state?.errors} fields={["phone"]} />
      {code ? (
        <p>
          {t("instances:pairing.enterCode")}{" "}
          <code class="secret" data-pairing-code safe>
            {code}
          </code>
        </p>
      ) : (
        ""
      )}
      <Field
        label={tText("instances:pairing.phone")}
        name="phone"
        type="tel"
        value={state?.values?.phone}
        errors={state?.errors}
        required
        placeholder="+5511999990001"
      />
      <button type="submit">{t("instances:pairing.submit")}</button>
    </FormCard>
  );
}

export function TestMessageForm({ base, csrfToken, state }: { base: string; csrfToken: string; state?: FormState }) {
  return (
    <FormCard id="test-message" title={tText("instances:test.title")} action={`${base}/test-message`} csrfToken={csrfToken}>
      <Notice text={state?.notice} />
      <FormError errors={state?.errors} fields={["to", "text"]} />
      <Field label={tText("instances:test.to")} name="to" type="tel" value={state?.values?.to} errors={state?.errors} required placeholder="+5511999990001" />
      <TextArea
        name="text"
        label={tText("instances:test.text")}
        value={state?.values?.text ?? tText("instances:test.defaultText")}
        error={fieldError(state?.errors, "text")}
      />
      <button type="submit">{t("instances:test.submit")}</button>
    </FormCard>
  );
}

export function SimulatorForm({ base, csrfToken, state }: { base: string; csrfToken: string; state?: FormState }) {
  return (
    <FormCard id="simulate-inbound" title={tText("instances:simulate.title")} action={`${base}/simulate-inbound`} csrfToken={csrfToken}>
      <p class="small muted">{t("instances:simulate.intro")}</p>
      <Notice text={state?.notice} />
      <FormError errors={state?.errors} fields={["from", "name", "text"]} />
      <Field
        label={tText("instances:simulate.from")}
        name="from"
        type="tel"
        value={state?.values?.from}
        errors={state?.errors}
        required
        placeholder="+5511999990001"
      />
      <Field label={tText("instances:simulate.name")} name="name" value={state?.values?.name} errors={state?.errors} maxlength={100} />
      <TextArea
        name="text"
        label={tText("instances:simulate.text")}
        idPrefix="sim"
        value={state?.values?.text ?? ""}
        error={fieldError(state?.errors, "text")}
      />
      <button type="submit">{t("instances:simulate.submit")}</button>
    </FormCard>
  );
}

function TextArea({ name, label, value, error, idPrefix = "f" }: { name: string; label: string; value: string; error?: string; idPrefix?: string }) {
  const id = `${idPrefix}-${name}`;
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id} safe>
        {label}
      </label>
      <textarea id={id} name={name} rows="3" maxlength={MESSAGE_LIMITS.textMax} required aria-invalid={error ? "true" : undefined} safe>
        {value}
      </textarea>
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}
