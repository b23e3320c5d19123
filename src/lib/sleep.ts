/**
 * Resolves after `ms`, or as soon as `abort` fires. The timer does not keep the process alive (a
 * stopping process is not held back by a retry or gather delay).
 */
export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  if (abort?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      abort?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    (timer as { unref?: () => void }).unref?.();
    abort?.addEventListener("abort", done, { once: true });
  });
}
