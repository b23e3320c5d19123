import { fillTemplate, renderTemplate } from "@/features/templates/template.render";
import { templateContext } from "@/features/templates/template.service";
import { saveThreadState, type Thread } from "@/features/workflows/thread.service";
import { defaultNext, getSteps, type FlowStep } from "./flow.service";

/** A flow run's position, kept in `threads.state`. */
export type FlowState = {
  flowId: string;
  stepKey: string | null;
  awaitingInput: boolean;
  variables: Record<string, string>;
  ended?: boolean;
};

/** What a flow does to the world; conversations send through the instance, the try-it panel collects. */
export type FlowEffects = {
  send(text: string): Promise<void>;
  handoff(): Promise<void>;
  callWorkflow(workflowId: string): Promise<void>;
};

export type FlowContact = { name: string | null; phone: string | null; metadata?: Record<string, unknown> | null } | null;

const MAX_STEPS_PER_TURN = 50;

export function initialFlowState(flowId: string, firstStepKey: string | null): FlowState {
  return { flowId, stepKey: firstStepKey, awaitingInput: false, variables: {} };
}

function normalize(answer: string): string {
  return answer.trim().toLowerCase();
}

/** The transition an answer takes: exact (case-insensitive) option — the text, or a chosen button/row id — else "*". */
function matchTransition(step: FlowStep, input: string, ids: string[] = []): string | undefined {
  const answers = [input, ...ids].map(normalize);
  for (const [option, target] of Object.entries(step.transitions)) {
    if (option !== "*" && answers.includes(normalize(option))) return target;
  }
  return step.transitions["*"];
}

function consumesInput(step: FlowStep): boolean {
  return step.type === "collect_input" || step.type === "choice" || step.waitForInput;
}

/**
 * Runs one turn of a flow: consumes the contact's `input` at the step waiting for it, then executes
 * steps until one waits for input or the flow ends. The caller holds the thread's lock, so two
 * inbound messages never run the same step twice. Returns the new state (also saved on the thread).
 */
export async function runFlowTurn(
  organizationId: string,
  thread: Thread,
  input: string | null,
  effects: FlowEffects,
  contact: FlowContact,
  /** Ids of a chosen button or list row (interactive replies): a choice's option may name one. */
  inputIds: string[] = [],
): Promise<FlowState> {
  const state = { ...(thread.state as FlowState), variables: { ...((thread.state as FlowState).variables ?? {}) } };
  if (state.ended) return state;
  const steps = await getSteps(state.flowId);
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const vars = () => templateContext(contact, state.variables);
  const say = async (step: FlowStep) => {
    if (step.templateKey) {
      const { body } = await renderTemplate(organizationId, { key: step.templateKey, variables: vars() });
      await effects.send(body);
    } else if (step.text) {
      await effects.send(fillTemplate(step.text, vars()));
    }
  };
  const finish = () => {
    state.ended = true;
    state.stepKey = null;
    state.awaitingInput = false;
  };

  if (state.awaitingInput) {
    const step = state.stepKey ? byKey.get(state.stepKey) : undefined;
    if (!step) finish();
    else if (input === null) return state;
    else {
      let next: string | undefined;
      if (step.type === "collect_input") {
        state.variables[String(step.config.variable)] = input.trim();
        next = matchTransition(step, input, inputIds) ?? defaultNext(steps, step);
      } else {
        next = matchTransition(step, input, inputIds);
        if (!next && step.type !== "choice") next = defaultNext(steps, step);
      }
      if (!next && step.type === "choice") {
        // Not one of the options: ask again and keep waiting.
        await say(step);
        await save(thread.id, state);
        return state;
      }
      state.awaitingInput = false;
      state.stepKey = next ?? null;
      if (!next) finish();
    }
  }

  for (let executed = 0; !state.ended && state.stepKey && executed < MAX_STEPS_PER_TURN; executed++) {
    const step = byKey.get(state.stepKey);
    if (!step) {
      finish();
      break;
    }
    if (step.type === "handoff") {
      await say(step);
      await effects.handoff();
      finish();
      break;
    }
    if (step.type === "call_workflow") {
      await say(step);
      await effects.callWorkflow(String(step.config.workflowId));
      finish();
      break;
    }
    if (step.type === "end") {
      await say(step);
      finish();
      break;
    }
    await say(step);
    if (consumesInput(step)) {
      state.awaitingInput = true;
      break;
    }
    const next = defaultNext(steps, step);
    if (!next) finish();
    else state.stepKey = next;
  }
  if (!state.ended && !state.awaitingInput && state.stepKey) {
    // A cycle without any step waiting for the contact: stop rather than loop forever.
    finish();
  }
  await save(thread.id, state);
  return state;
}

async function save(threadId: string, state: FlowState) {
  await saveThreadState(threadId, state, { ended: state.ended, touch: true });
}
