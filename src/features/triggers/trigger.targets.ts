/**
 * What a trigger can hand a conversation to — flow versions and workflows — as the trigger pages name
 * them. Triggers sit below flows and workflows (a workflow binding is a trigger), so they do not import
 * those features: the composition root (src/routes.ts) provides the lists through provideTriggerTargets.
 */
export type TargetFlowVersion = { id: string; lineageId: string; name: string; version: number };
export type TargetFlowLineage = { latest: TargetFlowVersion; published?: TargetFlowVersion };
export type TargetWorkflow = { id: string; name: string; provider: string; organizationId: string | null; isActive: boolean };

export type TriggerTargetSource = {
  /** One entry per flow lineage: its latest version and the published one, if any. */
  flowLineages(organizationId: string): Promise<TargetFlowLineage[]>;
  flowVersions(organizationId: string): Promise<TargetFlowVersion[]>;
  /** The organization's workflows and the system ones. */
  workflows(organizationId: string): Promise<TargetWorkflow[]>;
};

let source: TriggerTargetSource | undefined;

export function provideTriggerTargets(targets: TriggerTargetSource): void {
  source = targets;
}

export function triggerTargets(): TriggerTargetSource {
  if (!source) throw new Error("trigger targets are not wired: the composition root calls provideTriggerTargets()");
  return source;
}
