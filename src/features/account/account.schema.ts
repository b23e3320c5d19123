import { z } from "zod";
import { LANGUAGES } from "@/db/schema";
import { AUTH_LIMITS } from "@/features/auth/auth.schema";

/** Limits shared by the account forms (maxlength) and the validation below. */
export const ACCOUNT_LIMITS = {
  name: AUTH_LIMITS.name,
  avatarUrl: 500,
  timeZone: 64,
  passwordMin: AUTH_LIMITS.passwordMin,
  passwordMax: AUTH_LIMITS.passwordMax,
  /** A TOTP code ("123 456") or a recovery code ("ABCDE-FGHJK") with some slack for spaces. */
  code: 20,
} as const;

export const LANGUAGE_LABELS: Record<(typeof LANGUAGES)[number], string> = { en: "English", "pt-BR": "Português (Brasil)" };

/** Every IANA zone this runtime knows (the profile form's list); UTC is listed by name too. */
export const TIME_ZONES: readonly string[] = (() => {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
})();

/**
 * The canonical IANA name of a zone, or null. Intl accepts any case and offsets such as "+03:00";
 * only region names are stored, spelled as Intl spells them.
 */
export function canonicalTimeZone(input: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+)*$/.test(input)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: input }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export const profileSchema = z.object({
  name: z
    .string({ error: "Enter your name" })
    .trim()
    .min(1, "Enter your name")
    .max(ACCOUNT_LIMITS.name, `At most ${ACCOUNT_LIMITS.name} characters`),
  avatarUrl: z
    .string()
    .trim()
    .max(ACCOUNT_LIMITS.avatarUrl, `At most ${ACCOUNT_LIMITS.avatarUrl} characters`)
    .optional()
    .transform((v) => v || null)
    .refine((v) => v === null || isHttpsUrl(v), "Use an https:// address of an image, or leave it empty for your initials"),
  language: z.enum(LANGUAGES, { error: "Choose English or Português (Brasil)" }),
  timeZone: z
    .string({ error: "Choose a time zone" })
    .trim()
    .max(ACCOUNT_LIMITS.timeZone, "Choose a time zone from the list")
    .transform((v, ctx) => {
      const zone = canonicalTimeZone(v);
      if (!zone) {
        ctx.addIssue({ code: "custom", message: "Choose a time zone from the list (IANA name, e.g. America/Sao_Paulo)" });
        return z.NEVER;
      }
      return zone;
    }),
});
export type ProfileInput = z.infer<typeof profileSchema>;

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && !!url.hostname && !url.username && !url.password;
  } catch {
    return false;
  }
}

export const changePasswordSchema = z
  .object({
    /** Absent for accounts that only ever signed in through a provider. */
    currentPassword: z.string().max(ACCOUNT_LIMITS.passwordMax, "Incorrect password").optional().default(""),
    newPassword: z
      .string({ error: "Choose a new password" })
      .min(ACCOUNT_LIMITS.passwordMin, `Too short: use at least ${ACCOUNT_LIMITS.passwordMin} characters`)
      .max(ACCOUNT_LIMITS.passwordMax, `At most ${ACCOUNT_LIMITS.passwordMax} characters`),
    confirmPassword: z.string({ error: "Repeat the new password" }).max(ACCOUNT_LIMITS.passwordMax),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The two new passwords differ" });
export type ChangePasswordInput = z.infer<typeof changePasswordSchema>;

const code = z
  .string({ error: "Enter the code" })
  .trim()
  .min(1, "Enter the code")
  .max(ACCOUNT_LIMITS.code, "That code is not valid");

/** Enrolment confirmation, recovery-code regeneration and the sign-in step. */
export const codeSchema = z.object({ code });

export const disableTwoFactorSchema = z.object({
  password: z.string().max(ACCOUNT_LIMITS.passwordMax, "Incorrect password").optional().default(""),
  code,
});

/** The organization setting; an unchecked checkbox is simply absent from the form. */
export const twoFactorRequirementSchema = z.object({
  requireTwoFactor: z
    .union([z.literal("on"), z.literal("true"), z.literal("false"), z.literal("")])
    .optional()
    .transform((v) => v === "on" || v === "true"),
});
