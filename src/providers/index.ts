import { cloudProvider } from "./cloud";
import type { ProviderName, ProviderSink, WhatsAppProvider } from "./provider";
import { createSandboxProvider, type SandboxPairing } from "./sandbox";
import { wuzapiProvider } from "./wuzapi";

export { ProviderError } from "./provider";
export type { ConnectionState, InboundEvent, OutboundMessage, ProviderInstance, ProviderSink, WhatsAppProvider } from "./provider";
export { qrDataUrl } from "./qr";
export { encryptCloudConfig, readCloudConfig } from "./cloud";

let providers: Record<ProviderName, WhatsAppProvider> | undefined;

/** Told when a call to an adapter settles: which provider, which operation (the method), whether it failed. */
export type ProviderCallObserver = (provider: ProviderName, operation: string, failed: boolean) => void;

/**
 * Builds the adapters with what they report to (called once by the composition root, src/routes.ts):
 * the inbound service's sink, the sandbox service's pairing memory, and who counts their calls (metrics).
 */
export function configureProviders(deps: { sink: ProviderSink; sandboxPairing: SandboxPairing; observe?: ProviderCallObserver }): void {
  const built: Record<ProviderName, WhatsAppProvider> = {
    sandbox: createSandboxProvider({ sink: deps.sink, pairing: deps.sandboxPairing }),
    wuzapi: wuzapiProvider,
    cloud: cloudProvider,
  };
  const observe = deps.observe;
  providers = observe
    ? {
        sandbox: observed("sandbox", built.sandbox, observe),
        wuzapi: observed("wuzapi", built.wuzapi, observe),
        cloud: observed("cloud", built.cloud, observe),
      }
    : built;
}

/**
 * The adapter with every asynchronous method reported to `observe` when it settles. Every adapter
 * method that returns a promise is a call to the provider (HTTP for WuzAPI and Cloud); synchronous
 * ones (parsing a webhook) and plain properties pass through unchanged.
 */
function observed(name: ProviderName, adapter: WhatsAppProvider, observe: ProviderCallObserver): WhatsAppProvider {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(adapter, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== "function" || typeof key !== "string") return value;
      let fn = wrapped.get(key);
      if (!fn) {
        fn = (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.then(
            (settled) => {
              observe(name, key, false);
              return settled;
            },
            (err: unknown) => {
              observe(name, key, true);
              throw err;
            },
          );
        };
        wrapped.set(key, fn);
      }
      return fn;
    },
  });
}

/** The adapter that speaks for this instance (SPEC §4). */
export function providerFor(instance: { provider: ProviderName }): WhatsAppProvider {
  if (!providers) throw new Error("providers are not configured: the composition root (src/routes.ts) calls configureProviders");
  const provider = providers[instance.provider];
  if (!provider) throw new Error(`unknown provider ${String(instance.provider)}`);
  return provider;
}
