import { z } from "zod";

/** Limits shared by the forms (maxlength) and the validation below. */
export const AUTH_LIMITS = {
  name: 100,
  email: 254,
  passwordMin: 8,
  // argon2 hashes any length, but an unbounded password is a cheap CPU-burning request.
  passwordMax: 256,
  organizationName: 100,
  inviteToken: 200,
} as const;

const email = z
  .string({ error: "Enter your email address" })
  .trim()
  .min(1, "Enter your email address")
  .max(AUTH_LIMITS.email, `At most ${AUTH_LIMITS.email} characters`)
  .pipe(z.email("Enter a valid email address"));

/** Sign-up form. `organizationName` is required unless the sign-up accepts an invitation. */
export const signUpSchema = z
  .object({
    name: z
      .string({ error: "Enter your name" })
      .trim()
      .min(1, "Enter your name")
      .max(AUTH_LIMITS.name, `At most ${AUTH_LIMITS.name} characters`),
    email,
    password: z
      .string({ error: "Choose a password" })
      .min(AUTH_LIMITS.passwordMin, `Too short: use at least ${AUTH_LIMITS.passwordMin} characters`)
      .max(AUTH_LIMITS.passwordMax, `At most ${AUTH_LIMITS.passwordMax} characters`),
    organizationName: z
      .string()
      .trim()
      .max(AUTH_LIMITS.organizationName, `At most ${AUTH_LIMITS.organizationName} characters`)
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
    if (!v.invite && !v.organizationName) ctx.addIssue({ code: "custom", path: ["organizationName"], message: "Name your organization" });
  });
export type SignUpInput = z.infer<typeof signUpSchema>;

/** Sign-in form. Only presence is checked: password rules may have changed since the account was made. */
export const loginSchema = z.object({
  email,
  password: z
    .string({ error: "Enter your password" })
    .min(1, "Enter your password")
    .max(AUTH_LIMITS.passwordMax, "Incorrect email or password"),
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

/**
 * Where to go after signing in: only a path on this site. Anything that a browser could read as
 * another origin (`//evil`, `/\evil`, `https://…`, control characters) falls back to "/".
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 1000) return "/";
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\") || /[\u0000-\u001f\u007f\s]/.test(raw)) return "/";
  try {
    const url = new URL(raw, "http://localhost");
    if (url.origin !== "http://localhost") return "/";
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return "/";
  }
}

// ---------------------------------------------------------------------------------------------
// Password reset and email confirmation.
// ---------------------------------------------------------------------------------------------

/** "Forgot your password?" and "Send the confirmation link again": just an address. */
export const emailOnlySchema = z.object({ email });

/** Choosing a new password from a reset link; typed twice because nobody can see it. */
export const resetPasswordSchema = z
  .object({
    password: z
      .string({ error: "Choose a password" })
      .min(AUTH_LIMITS.passwordMin, `Too short: use at least ${AUTH_LIMITS.passwordMin} characters`)
      .max(AUTH_LIMITS.passwordMax, `At most ${AUTH_LIMITS.passwordMax} characters`),
    confirm: z.string({ error: "Type the password again" }).max(AUTH_LIMITS.passwordMax),
  })
  .superRefine((v, ctx) => {
    if (v.password !== v.confirm) ctx.addIssue({ code: "custom", path: ["confirm"], message: "The two passwords differ" });
  });
