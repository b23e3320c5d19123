/**
 * A function a feature calls but must not import, because it belongs to a feature above it (the
 * imports between features point one way: tests/architecture/dependencies.test.ts). The composition
 * root, src/routes.ts, plugs the implementation in; calling a port before that is a wiring bug.
 */
export type Port<F extends (...args: never[]) => unknown> = F & { plug(implementation: F): void };

export function port<F extends (...args: never[]) => unknown>(name: string): Port<F> {
  let implementation: F | undefined;
  const call = (...args: Parameters<F>) => {
    if (!implementation) throw new Error(`${name} is not wired: src/routes.ts plugs it in`);
    return implementation(...args);
  };
  return Object.assign(call as unknown as F, {
    plug(next: F) {
      implementation = next;
    },
  });
}
