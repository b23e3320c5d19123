import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { DEPARTMENT_LIMITS } from "@/features/departments/department.schema";
import { CsrfField, fieldError } from "../components/ui";

/** The transfer control in the conversation header: a disclosure that loads its form when opened. */
export function TransferSlot({ conversationId }: { conversationId: string }) {
  return (
    <details class="transfer-slot">
      <summary class="button secondary small-button">{t("departments:transfer.title")}</summary>
      <link rel="stylesheet" href="/static/departments.css" />
      <div hx-get={`/inbox/${conversationId}/transfer`} hx-trigger="toggle from:closest details once" hx-swap="innerHTML" />
    </details>
  );
}

export type TransferFormValues = { departmentId?: string; userId?: string; reason?: string };

/** Transfer to another department and/or agent, with the reason (shown on the activity line). */
export function TransferForm(props: {
  conversationId: string;
  csrfToken: string;
  departments: { id: string; name: string }[];
  members: { id: string; name: string | null; email: string }[];
  values?: TransferFormValues;
  errors?: FieldError[];
  done?: boolean;
}) {
  const v = props.values ?? {};
  const action = `/inbox/${props.conversationId}/transfer`;
  const error = (path: string) => {
    const e = fieldError(props.errors, path);
    return e ? (
      <small class="error" safe>
        {e}
      </small>
    ) : (
      ""
    );
  };
  return (
    <form id="transfer-form" class="transfer-form stack" method="post" action={action} hx-post={action} hx-target="#transfer-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      {props.done ? <p class="flash flash-success small">{t("departments:transfer.done")}</p> : ""}
      <div class="field">
        <label for="transfer-department">{t("departments:transfer.department")}</label>
        <select id="transfer-department" name="departmentId">
          <option value="" selected={!v.departmentId}>
            {t("departments:transfer.keepDepartment")}
          </option>
          <option value="none" selected={v.departmentId === "none"}>
            {t("departments:transfer.noDepartment")}
          </option>
          {props.departments.map((d) => (
            <option value={d.id} selected={v.departmentId === d.id} safe>
              {d.name}
            </option>
          ))}
        </select>
        {error("departmentId")}
      </div>
      <div class="field">
        <label for="transfer-user">{t("departments:transfer.user")}</label>
        <select id="transfer-user" name="userId">
          <option value="" selected={!v.userId}>
            {t("departments:transfer.keepUser")}
          </option>
          {props.members.map((m) => (
            <option value={m.id} selected={v.userId === m.id} safe>
              {m.name || m.email}
            </option>
          ))}
        </select>
        {error("userId")}
      </div>
      <div class="field">
        <label for="transfer-reason">{t("departments:transfer.reason")}</label>
        <input
          id="transfer-reason"
          name="reason"
          required
          maxlength={DEPARTMENT_LIMITS.reason}
          value={v.reason ?? ""}
          placeholder={tText("departments:transfer.reasonPlaceholder")}
        />
        {error("reason")}
      </div>
      <button type="submit" class="small-button">
        {t("departments:transfer.submit")}
      </button>
    </form>
  );
}
