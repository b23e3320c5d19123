import { port } from "@/lib/port";
import type { Caller } from "@/lib/caller";

/**
 * The instance page's "send a test message": validated and queued by the messages feature, which
 * sends through instances (so it sits above them). src/routes.ts plugs it in. Refusals are thrown as
 * AppErrors (validation_failed with field details, quota, provider) for the form to show inline.
 */
export const sendTestMessage =
  port<(caller: Caller<"user">, instanceId: string, values: Record<string, unknown>) => Promise<{ to: string }>>("instances: send a test message");
