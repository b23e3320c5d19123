import { FIELD_LIMITS, UFS } from "@/features/contacts/contact-fields";
import type { FieldDefinition } from "@/features/contacts/contact-field.service";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { Field, SelectField, fieldError } from "../components/ui";

export type ContactDetailValues = {
  document: string;
  email: string;
  address: string;
  city: string;
  state: string;
  zipCode: string;
  notes: string;
  /** Custom field key → the value as typed (booleans "true"/"false"). */
  custom: Record<string, string>;
};

/** The campaign fields of the contact edit form: document, email, address, city, UF, CEP, notes and the organization's custom fields. */
export function ContactDetailFields({
  values,
  errors,
  definitions,
}: {
  values: ContactDetailValues;
  errors?: FieldError[];
  definitions: readonly Pick<FieldDefinition, "key" | "label" | "type">[];
}) {
  const notesError = fieldError(errors, "notes");
  return (
    <fieldset class="contact-details">
      <legend>{t("contacts:book.fields.details")}</legend>
      <div class="grid-2">
        <Field
          label={tText("contacts:book.fields.document")}
          name="document"
          value={values.document}
          errors={errors}
          maxlength={FIELD_LIMITS.documentMax}
          placeholder="000.000.000-00"
        />
        <Field label={tText("contacts:book.fields.email")} name="email" type="email" value={values.email} errors={errors} maxlength={FIELD_LIMITS.emailMax} />
        <Field label={tText("contacts:book.fields.address")} name="address" value={values.address} errors={errors} maxlength={FIELD_LIMITS.addressMax} />
        <Field label={tText("contacts:book.fields.city")} name="city" value={values.city} errors={errors} maxlength={FIELD_LIMITS.cityMax} />
        <SelectField
          label={tText("contacts:book.fields.state")}
          name="state"
          value={values.state}
          errors={errors}
          options={[{ value: "", label: tText("contacts:book.fields.noState") }, ...UFS]}
        />
        <Field label={tText("contacts:book.fields.zipCode")} name="zipCode" value={values.zipCode} errors={errors} maxlength={9} placeholder="00000-000" />
      </div>
      <div class={notesError ? "field has-error" : "field"}>
        <label for="f-notes">{t("contacts:book.fields.notes")}</label>
        <textarea id="f-notes" name="notes" rows="3" maxlength={FIELD_LIMITS.notesMax} safe>
          {values.notes}
        </textarea>
        {notesError ? (
          <small class="error" safe>
            {notesError}
          </small>
        ) : (
          ""
        )}
      </div>
      {definitions.length ? (
        <div class="grid-2">
          {definitions.map((d) => {
            const name = `customFields.${d.key}`;
            const value = values.custom[d.key] ?? "";
            if (d.type === "boolean")
              return (
                <SelectField
                  label={d.label}
                  name={name}
                  value={value}
                  errors={errors}
                  options={[
                    { value: "", label: "—" },
                    { value: "true", label: tText("contacts:book.customFields.yes") },
                    { value: "false", label: tText("contacts:book.customFields.no") },
                  ]}
                />
              );
            return <Field label={d.label} name={name} type={d.type === "date" ? "date" : "text"} value={value} errors={errors} maxlength={1000} />;
          })}
        </div>
      ) : (
        ""
      )}
    </fieldset>
  );
}
