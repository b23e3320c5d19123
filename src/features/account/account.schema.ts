import { z } from "zod";
import { LANGUAGES } from "@/db/schema";
import { AUTH_LIMITS } from "@/auth/limits";
import { canonicalTimeZone, tText } from "@/lib/i18n";

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

/** Each language named in itself, as language pickers do: a reader finds their own whatever the page's language. */
export const LANGUAGE_LABELS: Record<(typeof LANGUAGES)[number], string> = { en: "English", "pt-BR": "Português (Brasil)" };

export const profileSchema = z.object({
  name: z
    .string({ error: () => tText("account:errors.enterName") })
    .trim()
    .min(1, { error: () => tText("account:errors.enterName") })
    .max(ACCOUNT_LIMITS.name),
  avatarUrl: z
    .string()
    .trim()
    .max(ACCOUNT_LIMITS.avatarUrl)
    .optional()
    .transform((v) => v || null)
    .refine((v) => v === null || isHttpsUrl(v), { error: () => tText("account:errors.avatarHttps") }),
  language: z.enum(LANGUAGES, { error: () => tText("account:errors.chooseLanguage") }),
  /** Empty (or absent): follow the organization's zone (stored as null). */
  timeZone: z
    .string({ error: () => tText("account:errors.chooseTimeZone") })
    .trim()
    .max(ACCOUNT_LIMITS.timeZone, { error: () => tText("account:errors.chooseTimeZone") })
    .optional()
    .transform((v, ctx) => {
      if (!v) return null;
      const zone = canonicalTimeZone(v);
      if (!zone) {
        ctx.addIssue({ code: "custom", message: tText("account:errors.chooseTimeZone") });
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
    currentPassword: z
      .string()
      .max(ACCOUNT_LIMITS.passwordMax, { error: () => tText("account:errors.incorrectPassword") })
      .optional()
      .default(""),
    newPassword: z
      .string({ error: () => tText("account:errors.chooseNewPassword") })
      .min(ACCOUNT_LIMITS.passwordMin, { error: () => tText("account:errors.passwordTooShort", { count: ACCOUNT_LIMITS.passwordMin }) })
      .max(ACCOUNT_LIMITS.passwordMax),
    confirmPassword: z.string({ error: () => tText("account:errors.repeatNewPassword") }).max(ACCOUNT_LIMITS.passwordMax),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], error: () => tText("account:errors.passwordsDiffer") });
export type ChangePasswordInput = z.infer<typeof changePasswordSchema>;

const code = z
  .string({ error: () => tText("account:errors.enterCode") })
  .trim()
  .min(1, { error: () => tText("account:errors.enterCode") })
  .max(ACCOUNT_LIMITS.code, { error: () => tText("account:errors.wrongCode") });

/** Enrolment confirmation, recovery-code regeneration and the sign-in step. */
export const codeSchema = z.object({ code });

export const disableTwoFactorSchema = z.object({
  password: z
    .string()
    .max(ACCOUNT_LIMITS.passwordMax, { error: () => tText("account:errors.incorrectPassword") })
    .optional()
    .default(""),
  code,
});

/** The organization setting; an unchecked checkbox is simply absent from the form. */
export const twoFactorRequirementSchema = z.object({
  requireTwoFactor: z
    .union([z.literal("on"), z.literal("true"), z.literal("false"), z.literal("")])
    .optional()
    .transform((v) => v === "on" || v === "true"),
});
