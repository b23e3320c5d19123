import type { PropsWithChildren } from "@kitajs/html";
import { INSTANCE_LIMITS } from "@/features/instances/instance.schema";
import { MESSAGE_LIMITS } from "@/features/messages/message.schema";
import type { FieldError } from "@/lib/errors";
import type { Instance } from "@/providers/provider";
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

const PROVIDER_OPTIONS = [
  { value: "sandbox", label: "Sandbox (simulated number, for testing)" },
  { value: "wuzapi", label: "WuzAPI (your WhatsApp number via QR)" },
  { value: "cloud", label: "WhatsApp Cloud API (Meta)" },
];

export function CreateInstanceForm({ csrfToken, state }: { csrfToken: string; state?: FormState }) {
  const v = state?.values ?? {};
  const e = state?.errors;
  const fields = ["name", "provider", "config.phoneNumberId", "config.accessToken", "config.appSecret", "config.verifyToken"];
  return (
    <FormCard id="create-instance" title="New instance" action="/instances" csrfToken={csrfToken}>
      <FormError errors={e} fields={fields} />
      <Field label="Name" name="name" value={v.name} errors={e} required maxlength={INSTANCE_LIMITS.nameMax} placeholder="Sales number" />
      <SelectField label="Provider" name="provider" options={PROVIDER_OPTIONS} value={v.provider ?? "sandbox"} errors={e} />
      <fieldset>
        <legend>Cloud API credentials (only for the Cloud API provider)</legend>
        <CloudField label="Phone number id" name="phoneNumberId" value={v.phoneNumberId} error={fieldError(e, "config.phoneNumberId")} />
        <CloudField label="Access token" name="accessToken" type="password" error={fieldError(e, "config.accessToken")} />
        <CloudField label="App secret" name="appSecret" type="password" error={fieldError(e, "config.appSecret")} />
        <CloudField label="Verify token" name="verifyToken" type="password" error={fieldError(e, "config.verifyToken")} />
        <small class="hint">Secrets are stored encrypted and never shown again.</small>
      </fieldset>
      <button type="submit">Create instance</button>
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
      {error ? <small class="error" safe>{error}</small> : ""}
    </div>
  );
}

export function RenameForm({ instance, csrfToken, state }: { instance: Instance; csrfToken: string; state?: FormState }) {
  return (
    <FormCard id="rename-instance" title="Rename" action={`/instances/${instance.id}/rename`} csrfToken={csrfToken}>
      <Notice text={state?.notice} />
      <FormError errors={state?.errors} fields={["name"]} />
      <Field label="Name" name="name" value={state?.values?.name ?? instance.name} errors={state?.errors} required maxlength={INSTANCE_LIMITS.nameMax} />
      <button type="submit">Save name</button>
    </FormCard>
  );
}

export function PairingForm({ base, csrfToken, state, code }: { base: string; csrfToken: string; state?: FormState; code?: string }) {
  return (
    <FormCard id="pairing-code" title="Pair with a phone number" action={`${base}/pairing-code`} csrfToken={csrfToken}>
      <p class="small muted">Instead of scanning, type a code on the phone: WhatsApp → Linked devices → Link with phone number.</p>
      <FormError errors={state?.errors} fields={["phone"]} />
      {code ? (
        <p>
          Enter this code on the phone: <code class="secret" data-pairing-code safe>{code}</code>
        </p>
      ) : (
        ""
      )}
      <Field label="Phone number" name="phone" type="tel" value={state?.values?.phone} errors={state?.errors} required placeholder="+5511999990001" />
      <button type="submit">Get pairing code</button>
    </FormCard>
  );
}

export function TestMessageForm({ base, csrfToken, state }: { base: string; csrfToken: string; state?: FormState }) {
  return (
    <FormCard id="test-message" title="Send a test message" action={`${base}/test-message`} csrfToken={csrfToken}>
      <Notice text={state?.notice} />
      <FormError errors={state?.errors} fields={["to", "text"]} />
      <Field label="To" name="to" type="tel" value={state?.values?.to} errors={state?.errors} required placeholder="+5511999990001" />
      <TextArea name="text" label="Text" value={state?.values?.text ?? "Hello from LivChat 👋"} error={fieldError(state?.errors, "text")} />
      <button type="submit">Send</button>
    </FormCard>
  );
}

export function SimulatorForm({ base, csrfToken, state }: { base: string; csrfToken: string; state?: FormState }) {
  return (
    <FormCard id="simulate-inbound" title="Simulate an incoming message" action={`${base}/simulate-inbound`} csrfToken={csrfToken}>
      <p class="small muted">Plays a contact writing to this sandbox number: it arrives like a real message (inbox, events, webhooks, automation).</p>
      <Notice text={state?.notice} />
      <FormError errors={state?.errors} fields={["from", "name", "text"]} />
      <Field label="From" name="from" type="tel" value={state?.values?.from} errors={state?.errors} required placeholder="+5511999990001" />
      <Field label="Contact name (optional)" name="name" value={state?.values?.name} errors={state?.errors} maxlength={100} />
      <TextArea name="text" label="Text" idPrefix="sim" value={state?.values?.text ?? ""} error={fieldError(state?.errors, "text")} />
      <button type="submit">Receive</button>
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
      {error ? <small class="error" safe>{error}</small> : ""}
    </div>
  );
}
