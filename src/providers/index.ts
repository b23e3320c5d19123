import { cloudProvider } from "./cloud";
import type { Instance, WhatsAppProvider } from "./provider";
import { sandboxProvider } from "./sandbox";
import { wuzapiProvider } from "./wuzapi";

export { ProviderError } from "./provider";
export type { InboundEvent, Instance, OutboundMessage, WhatsAppProvider } from "./provider";
export { qrDataUrl } from "./qr";
export { encryptCloudConfig, readCloudConfig } from "./cloud";

const providers: Record<Instance["provider"], WhatsAppProvider> = {
  sandbox: sandboxProvider,
  wuzapi: wuzapiProvider,
  cloud: cloudProvider,
};

/** The adapter that speaks for this instance (SPEC §4). */
export function providerFor(instance: Pick<Instance, "provider">): WhatsAppProvider {
  const provider = providers[instance.provider];
  if (!provider) throw new Error(`unknown provider ${String(instance.provider)}`);
  return provider;
}
