/** A boot that must not go on (wrong key, port taken): src/index.ts prints the message, no stack, and exits 1. */
export class BootFailure extends Error {}

/**
 * Binds exclusively. Elysia asks Bun for SO_REUSEPORT by default, with which a second LivChat on the
 * same port starts "fine" and the kernel splits connections between the two; without it the bind
 * fails and we say why.
 */
export function listenExclusively<T>(listen: (options: { hostname: string; port: number; reusePort: false }) => T, hostname: string, port: number): T {
  try {
    return listen({ hostname, port, reusePort: false });
  } catch (err) {
    const code = (err as { code?: string } | null)?.code;
    if (code === "EADDRINUSE")
      throw new BootFailure(`${hostname}:${port} is already in use (another LivChat or another server); stop it or set PORT (and HOST) to a free address.`);
    if (code === "EADDRNOTAVAIL") throw new BootFailure(`HOST=${hostname} is not an address of this machine.`);
    if (code === "EACCES") throw new BootFailure(`Not allowed to listen on ${hostname}:${port}; ports below 1024 need privileges.`);
    throw err;
  }
}
