import { cloudProvider } from "./cloud";
import type { ProviderName, ProviderSink, WhatsAppProvider } from "./provider";
import { createSandboxProvider, type SandboxPairing } from "./sandbox";
import { wuzapiProvider } from "./wuzapi";

export { ProviderError } from "./provider";
export type { ConnectionState, InboundEvent, OutboundMessage, ProviderInstance, ProviderSink, WhatsAppProvider } from "./provider";
export { qrDataUrl } from "./qr";
export { encryptCloudConfig, readCloudConfig } from "./cloud";

let providers: Record<ProviderName, WhatsAppProvider> | undefined;

/**
 * Builds the adapters with what they report to (called once by the composition root, src/routes.ts):
 * the inbound service's sink, and the sandbox service's pairing memory.
 */
export function configureProviders(deps: { sink: ProviderSink; sandboxPairing: SandboxPairing }): void {
  providers = {
    sandbox: createSandboxProvider({ sink: deps.sink, pairing: deps.sandboxPairing }),
    wuzapi: wuzapiProvider,
    cloud: cloudProvider,
  };
}

/** The adapter that speaks for this instance (SPEC §4). */
export function providerFor(instance: { provider: ProviderName }): WhatsAppProvider {
  if (!providers) throw new Error("providers are not configured: the composition root (src/routes.ts) calls configureProviders");
  const provider = providers[instance.provider];
  if (!provider) throw new Error(`unknown provider ${String(instance.provider)}`);
  return provider;
}
