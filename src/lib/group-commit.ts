/**
 * Group commit: callers hand in one item each and await its own result, while the items that arrive
 * during a write are written together by the next one. An idle queue writes at once (a lone item
 * waits for nobody); under load every transaction carries up to `maxBatch` items, so the round
 * trips, statement planning and commit flushes per item fall with the load instead of capping it.
 *
 * A batch whose write fails is retried one item at a time, so one bad item fails only its caller.
 * Hand-written rather than a library: the few queue libraries on npm batch by timer (adding latency
 * to every item) and none retries a failed batch item by item.
 */
export function groupCommit<I, O>(
  /** Writes the items; returns one result per item, in order. */
  write: (items: I[]) => Promise<O[]>,
  opts: { maxBatch: number; maxConcurrent: number },
): (item: I) => Promise<O> {
  type Waiting = { item: I; resolve: (o: O) => void; reject: (err: unknown) => void };
  const queue: Waiting[] = [];
  let writing = 0;

  async function flush(batch: Waiting[]) {
    try {
      const results = await write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
      batch.forEach((w, i) => {
        w.resolve(results[i]!);
      });
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else for (const w of batch) await write([w.item]).then(([o]) => w.resolve(o!), w.reject);
    }
  }

  function drain() {
    while (writing < opts.maxConcurrent && queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      writing++;
      void flush(batch).finally(() => {
        writing--;
        drain();
      });
    }
  }

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      drain();
    });
}
