import type { AdminContext } from "@/auth/plugin";
import type { targetJson } from "@/features/collections/target.service";
import { formatBrl, formatDayBr } from "@/features/collections/target.variables";
import { formatDocument } from "@/features/contacts/contact-fields";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, SelectField } from "../components/ui";
import { CollectionsTabs } from "./_tabs";

export type TargetView = ReturnType<typeof targetJson>;

/** The variable names as the intro shows them (literal braces, not catalog interpolation). */
const VARIABLES = { valor: "{{valor}}", vencimento: "{{vencimento}}", documento: "{{documento}}", devedor: "{{devedor}}" };

/** The debtors of campaigns (collection targets), by campaign. */
export function TargetsIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  targets: TargetView[];
  campaigns: { id: string; name: string }[];
  campaignId?: string;
  nextCursor: string | null;
}) {
  const campaignName = new Map(props.campaigns.map((c) => [c.id, c.name]));
  return (
    <AdminLayout title={tText("collections:targets.title")} admin={props.admin} csrfToken={props.csrfToken} active="collections">
      <CollectionsTabs active="targets" />
      <h1>{t("collections:targets.title")}</h1>
      <p class="muted">{t("collections:targets.intro", VARIABLES)}</p>
      <form class="card filters" method="get" action="/collections/targets">
        <SelectField
          label={tText("collections:targets.campaign")}
          name="campaignId"
          options={[{ value: "", label: tText("collections:filters.any") }, ...props.campaigns.map((c) => ({ value: c.id, label: c.name }))]}
          value={props.campaignId ?? ""}
        />
        <button type="submit">{t("collections:filters.apply")}</button>
      </form>
      {props.targets.length === 0 ? (
        <EmptyState>{t("collections:targets.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("collections:targets.debtor")}</th>
                <th>{t("collections:targets.document")}</th>
                <th>{t("collections:targets.amount")}</th>
                <th>{t("collections:targets.dueDate")}</th>
                <th>{t("collections:targets.campaign")}</th>
                <th>{t("collections:targets.state")}</th>
                <th>{t("collections:targets.promises")}</th>
              </tr>
            </thead>
            <tbody>
              {props.targets.map((d) => (
                <tr id={`target-${d.id}`}>
                  <td data-label={tText("collections:targets.debtor")} class="truncate">
                    <span safe>{d.debtorName || d.contact.name || d.contact.phone || "—"}</span>
                    <br />
                    <small class="muted" safe>
                      {d.contact.phone ?? ""}
                    </small>
                  </td>
                  <td data-label={tText("collections:targets.document")} safe>
                    {formatDocument(d.document) || "—"}
                  </td>
                  <td data-label={tText("collections:targets.amount")} safe>
                    {formatBrl(d.amountCents)}
                  </td>
                  <td data-label={tText("collections:targets.dueDate")} safe>
                    {formatDayBr(d.dueDate)}
                  </td>
                  <td data-label={tText("collections:targets.campaign")} safe>
                    {campaignName.get(d.campaignId) ?? "—"}
                  </td>
                  <td data-label={tText("collections:targets.state")}>
                    <Badge tone="muted">{t(`campaigns:state.${d.state}`)}</Badge>
                  </td>
                  <td data-label={tText("collections:targets.promises")}>
                    {d.promises.length
                      ? d.promises.map((p) => (
                          <Badge tone={p.status === "fulfilled" ? "ok" : p.status === "broken" ? "bad" : "warn"}>{t(`collections:statuses.${p.status}`)}</Badge>
                        ))
                      : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextCursor ? (
        <p class="pager">
          <a
            href={`/collections/targets?${new URLSearchParams({ ...(props.campaignId ? { campaignId: props.campaignId } : {}), cursor: props.nextCursor }).toString()}`}
          >
            {t("collections:targets.more")}
          </a>
        </p>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
