type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/**
 * Waits until `condition` returns something truthy and resolves with it, or fails after `timeoutMs`
 * saying what was awaited. Tests wait for a state, never for a fixed time: a fixed sleep is either
 * too short on a busy machine or wasted on an idle one.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, opts: { timeoutMs?: number; what?: string | (() => string) } = {}): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline)
      throw new Error(`waited ${timeoutMs} ms for ${typeof opts.what === "function" ? opts.what() : (opts.what ?? condition.toString())}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A promise the test settles itself: fake servers hold a response on `gate.wait` until the test calls
 * `gate.open()` (or they are stopped), instead of sleeping for a guessed time.
 */
export function gate() {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** A meeting point for `parties` concurrent tasks: `arrive()` resolves once all have arrived, and at once after that. */
export function barrier(parties: number) {
  let arrived = 0;
  const everyone = gate();
  return {
    arrive(): Promise<void> {
      if (++arrived >= parties) everyone.open();
      return everyone.wait;
    },
  };
}
