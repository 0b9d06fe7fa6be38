/**
 * Which of a forest's two evaluators serves a kind of call (single rows, small batches): the table walk
 * (walk.ts, or the addon's kernel of it) or the if/else code (compile.ts). Both give the same bits; their
 * speed depends on the rows. On rows the branch predictor has not seen the walk wins (the large bench
 * model's 10-row batches: 180k rows/s against 73k), on rows it has seen over and over the if/else code wins
 * (the same 10 rows every call: 405-450k against 200k), as LightGBM's own tree walk does. So the choice is
 * measured on the calls the program makes.
 *
 * Most calls are not timed. Every cycle, a segment of SEGMENT calls runs on the current evaluator, then,
 * after WARM untimed calls of the other one (so that it is timed warm), a segment on the other one; each
 * call is timed on its own (only time inside the calls counts). The other evaluator takes over when its
 * time per row in the cycle is 10% under the current one's. The gap between cycles grows with
 * how much slower the other evaluator was, so that trying it costs about 1% of the calls' time, and is at
 * most MAX_GAP_MS, so that a change of rows is followed within a second.
 *
 * No `node:` imports: part of the browser-safe entry (browsers coarsen performance.now(): choices there are
 * noisier, never wrong in value).
 */

/** Calls of a timed segment. */
const SEGMENT = 16;
/**
 * Untimed calls on the other evaluator before its timed segment: its tables or code come back into the
 * caches, and the branch predictor relearns repeated rows (timed cold, the walk of the large bench model
 * measured 2-3x its warm time per row, and lost to the if/else code on new rows).
 */
const WARM = 24;
/** Calls between cycles, times how much slower the other evaluator was (at least 1, at most 16)... */
const GAP = 4096;
/** ...or fewer: a cycle starts once this many milliseconds passed since the last (checked every 64 calls). */
const MAX_GAP_MS = 300;
/** The other evaluator takes over when its average is this much of the current one's or less. */
const SWITCH = 0.9;

export const WALK = 0;
export const IF_ELSE = 1;
export type Evaluator = typeof WALK | typeof IF_ELSE;

const CYCLE = 2 * SEGMENT + WARM;

export class EvaluatorChooser {
  /** The evaluator untimed calls use. */
  current: Evaluator = WALK;
  /** Nanoseconds per row of each evaluator in the last cycle (NaN until timed). */
  readonly nsPerRow: [number, number] = [Number.NaN, Number.NaN];
  /** Calls until the next cycle; then the calls left in it (reference segment, warm-up, other segment). */
  private untilCycle = SEGMENT;
  private inCycle = 0;
  private segmentNs = 0;
  private segmentRows = 0;
  private started = 0;
  private lastCycle = 0;
  /** Whether the call begin() handed out is timed (then end(rows) must follow it). */
  timed = false;

  constructor(private readonly now: () => number = defaultClock()) {}

  /** The evaluator for the next call. */
  begin(): Evaluator {
    if (this.inCycle === 0) {
      const left = --this.untilCycle;
      if (left > 0 && ((left & 63) !== 0 || this.now() - this.lastCycle < MAX_GAP_MS)) return this.current;
      this.inCycle = CYCLE;
    }
    const reference = this.inCycle > SEGMENT + WARM;
    this.timed = reference || this.inCycle <= SEGMENT;
    if (!this.timed) {
      this.inCycle--; // a warm-up call of the other evaluator
      return (1 - this.current) as Evaluator;
    }
    this.started = this.now();
    return reference ? this.current : ((1 - this.current) as Evaluator);
  }

  /** After a timed call of `rows` rows. */
  end(rows: number): void {
    this.timed = false;
    this.segmentNs += (this.now() - this.started) * 1e6;
    this.segmentRows += rows;
    this.inCycle--;
    const referenceDone = this.inCycle === SEGMENT + WARM;
    if (!referenceDone && this.inCycle !== 0) return;
    // the two segments of a cycle are a head to head on the same rows, a few milliseconds apart: the
    // choice follows it (an older measure may be of other rows)
    const evaluator = referenceDone ? this.current : 1 - this.current;
    this.nsPerRow[evaluator] = this.segmentNs / Math.max(1, this.segmentRows);
    this.segmentNs = 0;
    this.segmentRows = 0;
    if (this.inCycle !== 0) return;
    this.lastCycle = this.now();
    const cur = this.nsPerRow[this.current];
    const other = this.nsPerRow[1 - this.current];
    if (other <= cur * SWITCH) this.current = (1 - this.current) as Evaluator;
    const ratio = Math.max(cur, other) / Math.min(cur, other);
    this.untilCycle = Math.round(GAP * (Number.isFinite(ratio) ? Math.min(ratio, 16) : 1));
  }
}

function defaultClock(): () => number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf !== undefined ? () => perf.now() : () => Date.now();
}
