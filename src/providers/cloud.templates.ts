import { arr, obj, str } from "./http";
import type { ProviderInstance, ProviderTemplate, TemplateComponent } from "./provider";

/*
 * Cloud API message templates (WhatsApp Business Management API):
 * - listing: `GET /{waba-id}/message_templates?fields=…&limit=…&after=<cursor>`, answered
 *   `{data: [{id, name, language, category, status, components}], paging: {cursors: {after}, next}}`;
 * - sending: `POST /{phone-number-id}/messages` with `type: "template"` and
 *   `template: {name, language: {code}, components: [{type: "header"|"body"|"button", …, parameters}]}`.
 * Pure translation: the HTTP call is passed in (cloud.ts `graph`).
 */

/** Meta's naming rules: template names are lowercase letters, digits and underscores (≤ 512). */
export const CLOUD_TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
/** Language codes as Meta lists them: `en`, `pt_BR`, `en_US`, `zh_HK`… */
export const CLOUD_TEMPLATE_LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;

export type CloudTemplate = ProviderTemplate;

/** The WABA id a Cloud instance's templates are listed from (`wabaId` in its config), if set. */
export function cloudWabaId(instance: Pick<ProviderInstance, "providerConfig">): string | undefined {
  const c = instance.providerConfig ?? {};
  return str(c.wabaId) ?? str(c.businessAccountId);
}

const PAGE_SIZE = 100;
/** A safety bound: a WABA holds at most a few hundred templates (Meta caps them at 250 per WABA at low tiers). */
const MAX_PAGES = 50;

/** One template of a listing page, or null when it lacks a name, language or status. */
export function parseCloudTemplate(value: unknown): CloudTemplate | null {
  const t = obj(value);
  const name = str(t?.name);
  const language = str(t?.language);
  const status = str(t?.status);
  if (!t || !name || !language || !status) return null;
  return {
    providerTemplateId: str(t.id),
    name,
    language,
    category: str(t.category),
    status,
    components: arr(t.components).filter((c): c is Record<string, unknown> => !!obj(c)),
  };
}

/** Every template of the WABA, following `paging.cursors.after` while the page says there is a `next`. */
export async function listCloudTemplates(get: (path: string) => Promise<Record<string, unknown>>, wabaId: string): Promise<CloudTemplate[]> {
  const all: CloudTemplate[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ fields: "id,name,language,category,status,components", limit: String(PAGE_SIZE) });
    if (after) query.set("after", after);
    const res = await get(`${encodeURIComponent(wabaId)}/message_templates?${query}`);
    for (const item of arr(res.data)) {
      const template = parseCloudTemplate(item);
      if (template) all.push(template);
    }
    const paging = obj(res.paging);
    after = str(obj(paging?.cursors)?.after);
    if (!paging?.next || !after) break;
  }
  return all;
}

/** The `template` object of a template message. */
export function cloudTemplateObject(name: string, language: string, components: TemplateComponent[] | undefined): Record<string, unknown> {
  return {
    name,
    language: { code: language },
    ...(components?.length
      ? {
          components: components.map((c) => ({
            type: c.type,
            ...(c.type === "button" ? { sub_type: c.sub_type ?? "quick_reply", index: String(c.index ?? 0) } : {}),
            parameters: c.parameters,
          })),
        }
      : {}),
  };
}

/** How many `{{n}}` / `{{name}}` placeholders a template component's text has (what the send must fill). */
export function placeholderCount(component: Record<string, unknown>): number {
  const text = str(component.text) ?? "";
  return new Set([...text.matchAll(/\{\{\s*([\w]+)\s*\}\}/g)].map((m) => m[1])).size;
}
