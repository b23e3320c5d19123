/**
 * The one policy for bounding memory between collections. Bun's collector lets garbage pile up under
 * sustained work: JSC promotes whatever is in flight at each young collection to its old generation and
 * defers the full collection until the heap has grown several times over (issue 21's inbound bench: heap
 * 38 → 140 MB and RSS 150 → 357 MB, nearly all garbage; a 20 000-row contact import: heap 30–105 MB,
 * RSS 300 MB, while what it keeps is one batch). A full collection once the heap grew by a headroom
 * since its lowest point bounds both (inbound: 232–241 MB; import: 178 MB), each costing ~20–110 ms of
 * CPU. The async hint (`Bun.gc(false)`) did not bound it. The heap counted is the collector's plus the
 * ArrayBuffers it frees (file chunks, driver messages, request and response bodies).
 */
const heapInUse = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** A point to measure growth from; `collectIfGrown` moves it. */
export type HeapMark = { lowest: number };

export function heapMark(): HeapMark {
  return { lowest: heapInUse() };
}

/** A full collection when the heap grew by `headroomBytes` since the mark's lowest point (a collection of JSC's own lowers it too). */
export function collectIfGrown(mark: HeapMark, headroomBytes: number): void {
  const used = heapInUse();
  mark.lowest = Math.min(mark.lowest, used);
  if (used - mark.lowest < headroomBytes) return;
  Bun.gc(true);
  mark.lowest = heapInUse();
}

/** The server's policy: checked every 250 ms, with a headroom fit for a ~40 MB live heap (one collection per ~4 000 inbound events). */
export function boundHeapGrowth(headroomBytes = 24 * 1024 * 1024): void {
  const mark = heapMark();
  setInterval(() => collectIfGrown(mark, headroomBytes), 250).unref();
}
