import type { AdminContext } from "@/auth/plugin";
import { PAYMENT_METHODS, PAYMENT_PROMISE_STATUSES } from "@/db/schema";
import { PROMISE_LIMITS } from "@/features/collections/promise.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { formatMoney, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Field, SelectField, Time } from "../components/ui";
import { CollectionsTabs } from "./_tabs";

export type PromiseView = {
  id: string;
  conversationId: string | null;
  contact: { id: string; name: string | null; phone: string | null };
  amountCents: number;
  dueDate: string;
  method: (typeof PAYMENT_METHODS)[number] | null;
  notes: string | null;
  status: (typeof PAYMENT_PROMISE_STATUSES)[number];
  reminderSentAt: Date | null;
  createdByAi: boolean;
};
export type PromiseFormValues = { conversationId?: string; phone?: string; amountCents?: string; dueDate?: string; method?: string; notes?: string };

const STATUS_TONE = { pending: "warn", fulfilled: "ok", broken: "bad" } as const;

/** Record a promise: from a conversation (its contact) or by hand with the contact's phone. */
export function PromiseForm(props: { values: PromiseFormValues; errors?: FieldError[]; contactLabel?: string }) {
  const v = props.values;
  return (
    <form
      id="promise-form"
      class="card"
      method="post"
      action="/collections/promises"
      hx-post="/collections/promises"
      hx-target="#promise-form"
      hx-swap="outerHTML"
    >
      {v.conversationId ? (
        <>
          <input type="hidden" name="conversationId" value={v.conversationId} />
          <p>
            {t("collections:form.fromConversation")}{" "}
            <a href={`/inbox/${v.conversationId}`} safe>
              {props.contactLabel ?? tText("collections:form.conversation")}
            </a>
          </p>
        </>
      ) : (
        <Field label={tText("collections:fields.phone")} name="phone" type="tel" value={v.phone} errors={props.errors} maxlength={PROMISE_LIMITS.phone} />
      )}
      <div class="row wrap">
        <Field label={tText("collections:fields.amount")} name="amountCents" type="number" value={v.amountCents} errors={props.errors} required />
        <Field label={tText("collections:fields.dueDate")} name="dueDate" type="date" value={v.dueDate} errors={props.errors} required />
        <SelectField
          label={tText("collections:fields.method")}
          name="method"
          options={[
            { value: "", label: tText("collections:filters.noMethod") },
            ...PAYMENT_METHODS.map((m) => ({ value: m, label: tText(`collections:methods.${m}`) })),
          ]}
          value={v.method ?? ""}
          errors={props.errors}
        />
      </div>
      <Field label={tText("collections:fields.notes")} name="notes" value={v.notes} errors={props.errors} maxlength={PROMISE_LIMITS.notes} />
      <button type="submit">{t("collections:form.create")}</button>
    </form>
  );
}

function StatusActions({ p }: { p: PromiseView }) {
  const next = p.status === "pending" ? (["fulfilled", "broken"] as const) : (["pending"] as const);
  const label = { fulfilled: "collections:markFulfilled", broken: "collections:markBroken", pending: "collections:reopen" } as const;
  return (
    <div class="row wrap">
      {next.map((status) => (
        <form method="post" action={`/collections/promises/${p.id}`} hx-post={`/collections/promises/${p.id}`} hx-target="body">
          <input type="hidden" name="status" value={status} />
          <button type="submit" class="secondary small-button">
            {t(label[status])}
          </button>
        </form>
      ))}
    </div>
  );
}

export function PromisesIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  promises: PromiseView[];
  status?: string;
  nextCursor: string | null;
  form: { values: PromiseFormValues; contactLabel?: string };
}) {
  return (
    <AdminLayout title={tText("collections:title")} admin={props.admin} csrfToken={props.csrfToken} active="collections" flash={props.flash}>
      <CollectionsTabs active="promises" />
      <h1>{t("collections:title")}</h1>
      <p class="muted">{t("collections:intro")}</p>
      <h2>{t("collections:newPromise")}</h2>
      <PromiseForm values={props.form.values} contactLabel={props.form.contactLabel} />
      <form class="card filters" method="get" action="/collections/promises">
        <SelectField
          label={tText("collections:fields.status")}
          name="status"
          options={[
            { value: "", label: tText("collections:filters.any") },
            ...PAYMENT_PROMISE_STATUSES.map((s) => ({ value: s, label: tText(`collections:statuses.${s}`) })),
          ]}
          value={props.status ?? ""}
        />
        <button type="submit">{t("collections:filters.apply")}</button>
      </form>
      {props.promises.length === 0 ? (
        <EmptyState>{t("collections:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("collections:fields.contact")}</th>
                <th>{t("collections:fields.amountShown")}</th>
                <th>{t("collections:fields.dueDate")}</th>
                <th>{t("collections:fields.method")}</th>
                <th>{t("collections:fields.status")}</th>
                <th>{t("collections:fields.reminder")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {props.promises.map((p) => (
                <tr id={`promise-${p.id}`}>
                  <td data-label={tText("collections:fields.contact")} class="truncate">
                    <span safe>{p.contact.name || p.contact.phone || tText("contacts:noName")}</span>
                    {p.createdByAi ? <Badge tone="muted">{t("collections:createdByAi")}</Badge> : ""}
                  </td>
                  <td data-label={tText("collections:fields.amountShown")} safe>
                    {formatMoney(p.amountCents / 100)}
                  </td>
                  <td data-label={tText("collections:fields.dueDate")} safe>
                    {p.dueDate}
                  </td>
                  <td data-label={tText("collections:fields.method")}>{p.method ? t(`collections:methods.${p.method}`) : "—"}</td>
                  <td data-label={tText("collections:fields.status")}>
                    <Badge tone={STATUS_TONE[p.status]}>{t(`collections:statuses.${p.status}`)}</Badge>
                  </td>
                  <td data-label={tText("collections:fields.reminder")}>
                    <Time at={p.reminderSentAt} />
                  </td>
                  <td data-label="">
                    <StatusActions p={p} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextCursor ? (
        <p class="pager">
          <a href={`/collections/promises?${new URLSearchParams({ ...(props.status ? { status: props.status } : {}), cursor: props.nextCursor }).toString()}`}>
            {t("collections:older")}
          </a>
        </p>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
