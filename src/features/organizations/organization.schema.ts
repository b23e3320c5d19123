import { z } from "zod";
import { LANGUAGES } from "@/db/schema";
import { canonicalTimeZone, tText } from "@/lib/i18n";

export const ORGANIZATION_NAME_MAX = 80;
const ORGANIZATION_NAME_MIN = 2;
const TIME_ZONE_MAX = 64;

/** An organization's display name; the slug is derived once at creation and never changes. */
export const organizationName = z
  .string({ error: () => tText("organizations:errors.nameRequired") })
  .trim()
  .min(ORGANIZATION_NAME_MIN, { error: () => tText("organizations:errors.nameMin", { count: ORGANIZATION_NAME_MIN }) })
  .max(ORGANIZATION_NAME_MAX, { error: () => tText("organizations:errors.nameMax", { count: ORGANIZATION_NAME_MAX }) });

export const ORGANIZATION_LANGUAGES = LANGUAGES;

/** The organization's default language: its members' screens (unless they chose one) and text sent to its contacts. */
export const organizationLanguage = z.enum(LANGUAGES, { error: () => tText("organizations:errors.language") });

/** An IANA region name as Intl spells it ("america/sao_paulo" → "America/Sao_Paulo"); offsets such as "+03:00" are refused. */
export const organizationTimeZone = z
  .string({ error: () => tText("organizations:errors.timeZone") })
  .trim()
  .max(TIME_ZONE_MAX, { error: () => tText("organizations:errors.timeZone") })
  .transform((value, ctx) => {
    const zone = canonicalTimeZone(value);
    if (!zone) {
      ctx.addIssue({ code: "custom", message: tText("organizations:errors.timeZone") });
      return z.NEVER;
    }
    return zone;
  });

/** The language is optional in the form: without it the creator's own language is the default. */
export const createOrganizationSchema = z.object({ name: organizationName, language: organizationLanguage.optional() });
export const renameOrganizationSchema = z.object({ name: organizationName });
export const organizationLocaleSchema = z.object({ language: organizationLanguage, timeZone: organizationTimeZone });
export const switchOrganizationSchema = z.object({ organizationId: z.uuid({ error: () => tText("organizations:errors.chooseOrganization") }) });

export type CreateOrganizationInput = z.infer<typeof createOrganizationSchema>;
export type OrganizationLocaleInput = z.infer<typeof organizationLocaleSchema>;
