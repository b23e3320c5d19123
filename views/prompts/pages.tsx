import type { AdminContext } from "@/auth/plugin";
import type { InstructionsOverview, PromptVersion } from "@/features/prompts/prompt.service";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, Time } from "../components/ui";
import { InstructionsPanel, PromptDiff } from "./_instructions";

/** One published version's full text (linked from the versions table). */
export function PromptVersionPage(props: { admin: AdminContext; csrfToken: string; workflow: { id: string; name: string }; version: PromptVersion }) {
  const v = props.version;
  return (
    <AdminLayout title={tText("prompts:version.title", { version: v.version })} admin={props.admin} csrfToken={props.csrfToken} active="workflows">
      <p>
        <a href={`/workflows/${props.workflow.id}#instructions`}>{t("prompts:version.back")}</a>
      </p>
      <h1>
        <span safe>{props.workflow.name}</span> · {t("prompts:version.title", { version: v.version })}
      </h1>
      <p class="row small">
        <Badge tone="muted">{t(`prompts:versions.sources.${v.source}`)}</Badge>
        <Time at={v.createdAt} />
      </p>
      <p safe>{v.changelog}</p>
      <link rel="stylesheet" href="/static/prompts.css" />
      <pre class="prompt-text" safe>
        {v.instructions}
      </pre>
    </AdminLayout>
  );
}

/** A diff as a page of its own (the link works without JavaScript too). */
export function PromptDiffPage(props: {
  admin: AdminContext;
  csrfToken: string;
  workflow: { id: string; name: string };
  diff: { from: number; to: number; lines: { type: "added" | "removed" | "same"; text: string }[] };
}) {
  return (
    <AdminLayout
      title={tText("prompts:diff.title", { from: props.diff.from, to: props.diff.to })}
      admin={props.admin}
      csrfToken={props.csrfToken}
      active="workflows"
    >
      <p>
        <a href={`/workflows/${props.workflow.id}#instructions`}>{t("prompts:version.back")}</a>
      </p>
      <link rel="stylesheet" href="/static/prompts.css" />
      <h1 safe>{props.workflow.name}</h1>
      <PromptDiff {...props.diff} />
    </AdminLayout>
  );
}

/** The Instructions tab as a page of its own (also where a refused publish is shown again with its errors). */
export function InstructionsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  overview: InstructionsOverview;
  errors?: { path: string; message: string }[];
  flash?: Flash;
}) {
  return (
    <AdminLayout title={tText("prompts:tab.title")} admin={props.admin} csrfToken={props.csrfToken} active="workflows" flash={props.flash}>
      <p>
        <a href={`/workflows/${props.overview.workflow.id}`} safe>
          {tText("workflows:threadView.back", { name: props.overview.workflow.name })}
        </a>
      </p>
      <link rel="stylesheet" href="/static/prompts.css" />
      <h1 safe>{props.overview.workflow.name}</h1>
      <InstructionsPanel overview={props.overview} csrfToken={props.csrfToken} errors={props.errors} />
    </AdminLayout>
  );
}
