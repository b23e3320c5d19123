import { port } from "@/lib/port";

/**
 * Sign-up under `SIGNUP=approval` goes through the registrations feature, which creates the user
 * through auth once approved: registrations sit above auth, so auth reaches them through these
 * ports, plugged in by src/routes.ts.
 */
export const registrationGate = {
  /** Stores a sign-up for a platform admin to review. */
  request:
    port<(input: { name: string; email: string; password: string; organizationName: string }, request?: Request) => Promise<void>>(
      "auth: request a registration",
    ),
  /** Whether these credentials belong to a sign-up still waiting or refused (sign-in explains it). */
  stateForSignIn: port<(email: string, password: string) => Promise<"pending" | "rejected" | null>>("auth: a registration's state at sign-in"),
};
