import QRCode from "qrcode";

/**
 * The PNG data URL to show for a provider's QR `code`. Providers that already hand out an image
 * (WuzAPI's `/session/qr` returns `data:image/png;base64,…`) pass through unchanged.
 */
export async function qrDataUrl(code: string): Promise<string> {
  if (code.startsWith("data:image/")) return code;
  return QRCode.toDataURL(code, { errorCorrectionLevel: "M", margin: 1, width: 264 });
}
