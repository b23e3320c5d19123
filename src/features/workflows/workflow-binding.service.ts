import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { instances, triggers } from "@/db/schema";
import { releaseConversationsFromWorkflow } from "@/features/conversations/conversation.service";
import { getInstance } from "@/features/instances/instance.service";
import { createTrigger, deleteTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { auditChange } from "@/features/audit/audit.service";
import { archiveWorkflowThreads } from "./thread.service";
import { getWorkflow } from "./workflow.service";

/** Below every ordinary trigger: keywords and flows still win, the workflow answers the rest. */
const BINDING_PRIORITY = -1000;

/**
 * "This number is answered by this workflow" is a catch-all trigger (match any → hand to workflow)
 * scoped to the instance, so bindings follow the same priority rules as every other trigger.
 */
export async function listWorkflowBindings(organizationId: string, workflowId: string) {
  const rows = await db
    .select({ trigger: triggers })
    .from(triggers)
    .where(
      and(eq(triggers.organizationId, organizationId), eq(triggers.action, "hand_to_workflow"), eq(triggers.workflowId, workflowId), eq(triggers.match, "any")),
    )
    .orderBy(triggers.createdAt);
  const all = await db.select({ id: instances.id, name: instances.name }).from(instances).where(eq(instances.organizationId, organizationId));
  const names = new Map(all.map((i) => [i.id, i.name]));
  return rows.map(({ trigger }) => ({
    triggerId: trigger.id,
    instances: (trigger.instanceIds ?? []).map((id) => ({ id, name: names.get(id) ?? id })),
    everyInstance: trigger.instanceIds === null,
    active: trigger.active,
  }));
}

export async function bindInstanceToWorkflow(caller: Caller, workflowId: string, instanceId: string) {
  const organizationId = organizationOf(caller);
  const workflow = await getWorkflow(organizationId, workflowId);
  const instance = await getInstance(caller, instanceId);
  // The trigger's own row says a trigger was created; this one says what it means.
  return db.transaction(async (tx) => {
    const trigger = await createTrigger(
      caller,
      triggerSchema.parse({
        name: `${instance.name} → ${workflow.name}`.slice(0, 120),
        match: "any",
        priority: BINDING_PRIORITY,
        instanceIds: [instance.id],
        action: "hand_to_workflow",
        workflowId: workflow.id,
      }),
      tx,
    );
    await auditChange(
      tx,
      organizationId,
      caller,
      "workflow.instance_bound",
      { type: "workflow", id: workflow.id },
      { instanceId: instance.id, instanceName: instance.name, triggerId: trigger.id },
    );
    return trigger;
  });
}

/** Removes a binding; the number's conversations that it handed to the workflow stop being answered. */
export async function unbindWorkflow(caller: Caller, workflowId: string, triggerId: string) {
  const organizationId = organizationOf(caller);
  const binding = (await listWorkflowBindings(organizationId, workflowId)).find((b) => b.triggerId === triggerId);
  if (!binding) throw new AppError("not_found", tText("workflows:errors.bindingNotFound"));
  await db.transaction(async (tx) => {
    await deleteTrigger(caller, triggerId, tx);
    await auditChange(
      tx,
      organizationId,
      caller,
      "workflow.instance_unbound",
      { type: "workflow", id: workflowId },
      {
        instanceIds: binding.instances.map((i) => i.id),
        everyInstance: binding.everyInstance,
        triggerId,
      },
    );
    const released = await releaseConversationsFromWorkflow(organizationId, workflowId, binding.everyInstance ? null : binding.instances.map((i) => i.id), tx);
    await archiveWorkflowThreads(workflowId, released, tx);
  });
}
