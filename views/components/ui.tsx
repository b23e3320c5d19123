import type { PropsWithChildren } from "@kitajs/html";
import type { Flash } from "@/lib/flash";
import type { FieldError } from "@/lib/errors";
import { fieldError } from "@/lib/forms";
import { formatDateTime } from "@/lib/i18n";

/** Hidden CSRF field for plain (non-htmx) forms; htmx requests send the header from <body hx-headers>. */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function FlashMessage({ flash }: { flash?: Flash }) {
  if (!flash) return <div id="flash" />;
  return (
    <div id="flash" class={`flash flash-${flash.type}`} role="status" safe>
      {flash.message}
    </div>
  );
}

/** Views find a field's message with the form helpers' lookup (one definition, in lib/forms). */
export { fieldError };

type FieldProps = {
  label: string;
  name: string;
  type?: string;
  value?: string | number | null;
  errors?: FieldError[];
  required?: boolean;
  maxlength?: number;
  placeholder?: string;
  hint?: string;
  autocomplete?: string;
};

/** Labelled input with its validation message (422 re-renders pass `errors`). */
export function Field(props: FieldProps) {
  const error = fieldError(props.errors, props.name);
  const id = `f-${props.name}`;
  // Screen readers read the hint and the error with the input, not only when the user wanders onto them.
  const describedBy = [props.hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id} safe>
        {props.label}
      </label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value == null ? undefined : String(props.value)}
        required={props.required}
        maxlength={props.maxlength}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      {props.hint ? (
        <small class="hint" id={`${id}-hint`} safe>
          {props.hint}
        </small>
      ) : (
        ""
      )}
      {error ? (
        <small class="error" id={`${id}-error`} safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

export function SelectField(props: {
  label: string;
  name: string;
  options: readonly (string | { value: string; label: string })[];
  value?: string | null;
  errors?: FieldError[];
}) {
  const error = fieldError(props.errors, props.name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${props.name}`} safe>
        {props.label}
      </label>
      <select id={`f-${props.name}`} name={props.name} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `f-${props.name}-error` : undefined}>
        {props.options.map((o) => {
          const { value, label } = typeof o === "string" ? { value: o, label: o } : o;
          return (
            <option value={value} selected={value === props.value} safe>
              {label}
            </option>
          );
        })}
      </select>
      {error ? (
        <small class="error" id={`f-${props.name}-error`} safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

export function Badge({ tone, children }: PropsWithChildren<{ tone?: "ok" | "warn" | "bad" | "muted" }>) {
  return <span class={`badge badge-${tone ?? "muted"}`}>{children}</span>;
}

export function EmptyState({ children }: PropsWithChildren) {
  return <p class="empty">{children}</p>;
}

/** A timestamp in the reader's language and the organization's (or user's) time zone, zone shown. */
export function Time({ at }: { at: Date | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  return (
    <time datetime={at.toISOString()} safe>
      {formatDateTime(at)}
    </time>
  );
}
