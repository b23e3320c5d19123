/** Limits of the sign-in, sign-up and account forms (a name, an address, a password), shared by auth and account. */
export const AUTH_LIMITS = {
  name: 100,
  email: 254,
  passwordMin: 8,
  // argon2 hashes any length, but an unbounded password is a cheap CPU-burning request.
  passwordMax: 256,
  organizationName: 100,
  inviteToken: 200,
} as const;
