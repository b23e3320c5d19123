import { ProviderError, type ProviderInstance, type WhatsAppProvider } from "./provider";

/**
 * The simulated phone's contact calls. Its contacts show no profile picture and no about text (there
 * is no one behind them); blocking and the proxy change nothing on a phone that does not exist, so the
 * stored state (contacts.whatsapp_blocked, the instance's proxy) is the whole truth. Like a real phone,
 * it answers only while connected.
 */
function connected(instance: ProviderInstance): void {
  if (instance.status !== "connected") throw new ProviderError("The sandbox instance is not connected; scan its QR code first", false, 409);
}

export function sandboxContactOps(): Pick<WhatsAppProvider, "contactProfile" | "setWhatsAppBlocked" | "setProxy"> {
  return {
    async contactProfile(instance) {
      connected(instance);
      return { pictureUrl: null };
    },
    async setWhatsAppBlocked(instance) {
      connected(instance);
    },
    async setProxy() {
      // WuzAPI takes a proxy only while disconnected; the simulated connection has no network to route.
    },
  };
}
