import type { AdminContext } from "@/auth/plugin";
import type { RegistrationStatus } from "@/db/schema";
import type { RegistrationRequest } from "@/features/registrations/registration.service";
import { REGISTRATION_LIMITS } from "@/features/registrations/registration.schema";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, EmptyState, Time } from "../components/ui";
import { PlatformTabs } from "./_tabs";

export type RegistrationsProps = {
  admin: AdminContext;
  csrfToken: string;
  status: RegistrationStatus;
  requests: RegistrationRequest[];
  /** SIGNUP mode, so an admin knows whether new requests can arrive. */
  signupMode: string;
  flash?: Flash;
  /** A refused review (reason missing, request already handled), shown on its row. */
  rowError?: { id: string; message: string };
};

function RequestRow({ r, props }: { r: RegistrationRequest; props: RegistrationsProps }) {
  const error = props.rowError?.id === r.id ? props.rowError.message : undefined;
  return (
    <tr id={`registration-${r.id}`}>
      <td data-label="" safe>
        {r.email}
      </td>
      <td data-label={tText("registrations:columns.name")} safe>
        {r.name}
      </td>
      <td data-label={tText("registrations:columns.organization")} safe>
        {r.organizationName}
      </td>
      <td data-label={tText(r.status === "pending" ? "registrations:columns.requested" : "registrations:columns.reviewedAt")}>
        <Time at={r.status === "pending" ? r.createdAt : r.reviewedAt} />
      </td>
      {r.status === "rejected" ? (
        <td data-label={tText("registrations:columns.reason")} class="small" safe>
          {r.rejectionReason ?? ""}
        </td>
      ) : (
        ""
      )}
      {r.status === "pending" ? (
        <td class="actions">
          <form method="post" action={`/platform/registrations/${r.id}/approve`} style="display:inline">
            <CsrfField token={props.csrfToken} />
            <button type="submit">{t("registrations:approve")}</button>
          </form>
          <form method="post" action={`/platform/registrations/${r.id}/reject`} style="display:inline-flex;gap:.25rem">
            <CsrfField token={props.csrfToken} />
            <label class="sr-only" for={`reason-${r.id}`}>
              {t("registrations:reason")}
            </label>
            <input
              id={`reason-${r.id}`}
              name="reason"
              required
              maxlength={REGISTRATION_LIMITS.rejectionReason}
              placeholder={tText("registrations:reasonPlaceholder")}
              aria-invalid={error ? "true" : undefined}
            />
            <button type="submit" class="secondary">
              {t("registrations:reject")}
            </button>
          </form>
          {error ? (
            <small class="error" role="alert" safe>
              {error}
            </small>
          ) : (
            ""
          )}
        </td>
      ) : (
        ""
      )}
    </tr>
  );
}

/** Sign-ups waiting for approval (SIGNUP=approval) and the ones already reviewed. */
export function RegistrationsPage(props: RegistrationsProps) {
  const statuses: RegistrationStatus[] = ["pending", "approved", "rejected"];
  return (
    <AdminLayout title={tText("registrations:title")} admin={props.admin} csrfToken={props.csrfToken} active="platform" flash={props.flash}>
      <div id="registrations-page">
        <h1>{t("registrations:title")}</h1>
        <PlatformTabs active="registrations" />
        <p class="muted small">{props.signupMode === "approval" ? t("registrations:reviewed") : t("registrations:notReviewed")}</p>
        <p>
          {statuses.map((s) => (
            <a href={`/platform/registrations?status=${s}`} class={s === props.status ? "button" : "button secondary"} style="margin-right:.5rem">
              {t(`registrations:status.${s}`)}
            </a>
          ))}
        </p>
        {props.requests.length === 0 ? (
          <EmptyState>{props.status === "pending" ? t("registrations:emptyPending") : t("registrations:empty")}</EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="stack-table">
              <thead>
                <tr>
                  <th>{t("registrations:columns.email")}</th>
                  <th>{t("registrations:columns.name")}</th>
                  <th>{t("registrations:columns.organization")}</th>
                  <th>{props.status === "pending" ? t("registrations:columns.requested") : t("registrations:columns.reviewedAt")}</th>
                  {props.status === "rejected" ? <th>{t("registrations:columns.reason")}</th> : ""}
                  {props.status === "pending" ? (
                    <th>
                      <span class="sr-only">{t("registrations:columns.actions")}</span>
                    </th>
                  ) : (
                    ""
                  )}
                </tr>
              </thead>
              <tbody>
                {props.requests.map((r) => (
                  <RequestRow r={r} props={props} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </AdminLayout>
  );
}
