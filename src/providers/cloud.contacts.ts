import { config } from "@/config";
import { toDigits } from "@/lib/phone";
import { arr, num, obj, providerFetch, str } from "./http";
import { readCloudConfig } from "./cloud";
import { ProviderError, type ProviderInstance } from "./provider";

/**
 * Cloud API contact calls, translated only.
 *
 * - Block users (developers.facebook.com/documentation/business-messaging/whatsapp/block-users):
 *   `POST /{phone-number-id}/block_users {messaging_product: "whatsapp", block_users: [{user}]}` blocks,
 *   `DELETE` with the same body unblocks. Per-number outcomes come back in `block_users.added_users` /
 *   `removed_users` and `failed_users[].errors[]`; Meta only lets a business block someone who wrote to it
 *   in the last 24 hours, which is such a per-number failure.
 * - Profiles: the Cloud API has no call for a user's name or picture; the profile name arrives with each
 *   webhook (`contacts[].profile.name`) and is stored by the inbound pipeline, and pictures are never
 *   offered. The adapter leaves `contactProfile` out, so a refresh is refused as unsupported_by_provider.
 * - Proxy: not a Cloud concept (Meta's servers connect to WhatsApp), so `setProxy` is left out too.
 */
function describe(body: unknown): string | undefined {
  const error = obj(obj(body)?.error);
  if (!error) return undefined;
  const code = num(error.code);
  return [str(error.message), str(obj(error.error_data)?.details), code !== undefined ? `code ${code}` : undefined].filter(Boolean).join(" — ");
}

export async function cloudSetWhatsAppBlocked(instance: ProviderInstance, phone: string, blocked: boolean): Promise<void> {
  const { phoneNumberId, accessToken } = readCloudConfig(instance);
  const user = toDigits(phone);
  const answer = await providerFetch<unknown>(
    "cloud",
    `${config.cloudApiBase}/${encodeURIComponent(phoneNumberId)}/block_users`,
    {
      method: blocked ? "POST" : "DELETE",
      headers: { Authorization: `Bearer ${accessToken}` },
      body: { messaging_product: "whatsapp", block_users: [{ user }] },
    },
    describe,
  );
  const failed = arr(obj(obj(answer)?.block_users)?.failed_users).map(obj);
  const mine = failed.find((f) => toDigits(str(f?.input) ?? str(f?.wa_id) ?? "") === user) ?? failed[0];
  if (mine) {
    const reason = arr(mine.errors)
      .map((e) => [str(obj(e)?.message), str(obj(obj(e)?.error_data)?.details)].filter(Boolean).join(" — "))
      .filter(Boolean)
      .join("; ");
    throw new ProviderError(`cloud: ${reason || (blocked ? "the block was refused" : "the unblock was refused")}`, false, 400);
  }
}
