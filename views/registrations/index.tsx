import type { AdminContext } from "@/auth/plugin";
import type { RegistrationStatus } from "@/db/schema";
import type { RegistrationRequest } from "@/features/registrations/registration.service";
import { REGISTRATION_LIMITS } from "@/features/registrations/registration.schema";
import type { Flash } from "@/lib/flash";
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

const STATUS_LABEL: Record<RegistrationStatus, string> = { pending: "Waiting", approved: "Approved", rejected: "Declined" };

function RequestRow({ r, props }: { r: RegistrationRequest; props: RegistrationsProps }) {
  const error = props.rowError?.id === r.id ? props.rowError.message : undefined;
  return (
    <tr id={`registration-${r.id}`}>
      <td data-label="" safe>
        {r.email}
      </td>
      <td data-label="Name" safe>
        {r.name}
      </td>
      <td data-label="Organization" safe>
        {r.organizationName}
      </td>
      <td data-label={r.status === "pending" ? "Requested" : "Reviewed"}>
        <Time at={r.status === "pending" ? r.createdAt : r.reviewedAt} />
      </td>
      {r.status === "rejected" ? (
        <td data-label="Reason" class="small" safe>
          {r.rejectionReason ?? ""}
        </td>
      ) : (
        ""
      )}
      {r.status === "pending" ? (
        <td class="actions">
          <form method="post" action={`/platform/registrations/${r.id}/approve`} style="display:inline">
            <CsrfField token={props.csrfToken} />
            <button type="submit">Approve</button>
          </form>
          <form method="post" action={`/platform/registrations/${r.id}/reject`} style="display:inline-flex;gap:.25rem">
            <CsrfField token={props.csrfToken} />
            <label class="sr-only" for={`reason-${r.id}`}>
              Reason
            </label>
            <input id={`reason-${r.id}`} name="reason" required maxlength={REGISTRATION_LIMITS.rejectionReason} placeholder="Reason (sent to the applicant)" aria-invalid={error ? "true" : undefined} />
            <button type="submit" class="secondary">
              Reject
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
    <AdminLayout title="Sign-up requests" admin={props.admin} csrfToken={props.csrfToken} active="platform" flash={props.flash}>
      <div id="registrations-page">
        <h1>Sign-up requests</h1>
        <PlatformTabs active="registrations" />
        <p class="muted small">
          {props.signupMode === "approval"
            ? "New sign-ups wait here until a platform administrator approves or rejects them; the applicant cannot sign in before."
            : "Sign-ups are not reviewed on this server right now (set SIGNUP=approval to review them)."}
        </p>
        <p>
          {statuses.map((s) => (
            <a href={`/platform/registrations?status=${s}`} class={s === props.status ? "button" : "button secondary"} style="margin-right:.5rem" safe>
              {STATUS_LABEL[s]}
            </a>
          ))}
        </p>
        {props.requests.length === 0 ? (
          <EmptyState>{props.status === "pending" ? "No sign-up is waiting." : "Nothing here yet."}</EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="stack-table">
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Name</th>
                  <th>Organization</th>
                  <th>{props.status === "pending" ? "Requested" : "Reviewed"}</th>
                  {props.status === "rejected" ? <th>Reason</th> : ""}
                  {props.status === "pending" ? (
                    <th>
                      <span class="sr-only">Actions</span>
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
