import type { Instance } from "@/db/schema";

/**
 * The sandbox buttons on the instance pages (scan the QR, a contact writes) are the inbound feature's
 * sandbox service, which itself uses this feature: the composition root (src/routes.ts) provides them
 * here so the two features do not import each other.
 */
export type SandboxActions = {
  pair(instance: Instance): Promise<Instance>;
  inbound(instance: Instance, input: { from: string; name?: string; text?: string }): Promise<unknown>;
};

let provided: SandboxActions | undefined;

export function provideSandboxActions(actions: SandboxActions): void {
  provided = actions;
}

export function sandboxActions(): SandboxActions {
  if (!provided) throw new Error("sandbox actions are not wired: src/routes.ts calls provideSandboxActions");
  return provided;
}
