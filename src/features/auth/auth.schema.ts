import { z } from "zod";
import { AUTH_LIMITS } from "@/auth/limits";
import { tText } from "@/lib/i18n";

/** Limits shared by the forms (maxlength) and the validation below; defined in src/auth/limits.ts, which account reads too. */
export { AUTH_LIMITS };

// Messages are functions: zod reads them at parse time, inside the request's language.
const enterEmail = { error: () => tText("auth:errors.enterEmail") };
const email = z.string(enterEmail).trim().min(1, enterEmail).max(AUTH_LIMITS.email).pipe(z.email());

const newPassword = z
  .string({ error: () => tText("auth:errors.choosePassword") })
  .min(AUTH_LIMITS.passwordMin, { error: () => tText("auth:errors.passwordTooShort", { count: AUTH_LIMITS.passwordMin }) })
  .max(AUTH_LIMITS.passwordMax);

/** Sign-up form. `organizationName` is required unless the sign-up accepts an invitation. */
export const signUpSchema = z
  .object({
    name: z
      .string({ error: () => tText("auth:errors.enterName") })
      .trim()
      .min(1, { error: () => tText("auth:errors.enterName") })
      .max(AUTH_LIMITS.name),
    email,
    password: newPassword,
    organizationName: z
      .string()
      .trim()
      .max(AUTH_LIMITS.organizationName)
      .optional()
      .transform((v) => v || undefined),
    invite: z
      .string()
      .trim()
      .max(AUTH_LIMITS.inviteToken)
      .optional()
      .transform((v) => v || undefined),
  })
  .superRefine((v, ctx) => {
    if (!v.invite && !v.organizationName) ctx.addIssue({ code: "custom", path: ["organizationName"], message: tText("auth:errors.nameOrganization") });
  });
export type SignUpInput = z.infer<typeof signUpSchema>;

/** Sign-in form. Only presence is checked: password rules may have changed since the account was made. */
export const loginSchema = z.object({
  email,
  password: z
    .string({ error: () => tText("auth:errors.enterPassword") })
    .min(1, { error: () => tText("auth:errors.enterPassword") })
    .max(AUTH_LIMITS.passwordMax, { error: () => tText("auth:signIn.incorrect") }),
});
export type LoginInput = z.infer<typeof loginSchema>;

/** What the form re-renders with: everything the visitor typed except the password. */
export function keptValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== "object") return out;
  for (const key of ["name", "email", "organizationName", "invite", "next"]) {
    const value = (body as Record<string, unknown>)[key];
    if (typeof value === "string") out[key] = value.slice(0, 300);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Password reset and email confirmation.
// ---------------------------------------------------------------------------------------------

/** "Forgot your password?" and "Send the confirmation link again": just an address. */
export const emailOnlySchema = z.object({ email });

/** Choosing a new password from a reset link; typed twice because nobody can see it. */
export const resetPasswordSchema = z
  .object({
    password: newPassword,
    confirm: z.string({ error: () => tText("auth:errors.typeAgain") }).max(AUTH_LIMITS.passwordMax),
  })
  .superRefine((v, ctx) => {
    if (v.password !== v.confirm) ctx.addIssue({ code: "custom", path: ["confirm"], message: tText("auth:errors.passwordsDiffer") });
  });
