// The most frequent values of a stream (attacker IPs, credentials, commands) in bounded memory, with an honest
// statement of how exact the figures are.
export interface TopEntry {
  value: string;
  /** Hits: exact when `error` is absent; otherwise an upper bound, and the true figure is at least count − error. */
  count: number;
  /** Present (> 0) only for an estimate: the most `count` may overstate this value's hits. */
  error?: number;
}

export interface TopAccuracy {
  /** Every hit of every value was counted: the figures are exact. */
  exact: boolean;
  /** Hits counted in all, over every value (shown or not). */
  hits: number;
  /** Distinct values tracked at once; beyond that, counts are estimates that overstate by at most hits ÷ counters. */
  counters: number;
  /** The largest `error` among the entries listed (0 when exact). */
  maxError: number;
}

/**
 * The most frequent values of a weighted stream in bounded memory: the Space-Saving algorithm (Metwally, Agrawal,
 * El Abbadi, "Efficient Computation of Frequent and Top-k Elements in Data Streams", ICDT 2005), weighted form.
 *
 * At most `capacity` counters. A value already counted adds its weight; a new one takes a free counter, or, when
 * all are taken, the counter with the smallest count c_min: it starts at c_min + weight and records c_min as its
 * error. Hence, for every value held: true hits ≤ count ≤ true hits + error, and error ≤ c_min ≤ total ÷ capacity;
 * every value with more than total ÷ capacity hits is held. Until the first eviction every count is exact.
 * (Merging another summary keeps the range guarantee; its error bound is then looser, hence `maxError` is reported
 * from the actual errors rather than from the bound. The pipeline feeds exact per-part counts and never needs it.)
 * The smallest counter is found through a binary min-heap (O(log capacity) per update).
 */
export class SpaceSaving {
  readonly #capacity: number;
  readonly #index = new Map<string, number>();
  readonly #values: string[] = [];
  readonly #counts: number[] = [];
  readonly #errors: number[] = [];
  #total = 0;
  #evicted = false;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** No value was ever evicted: every count is exact. */
  get exact(): boolean {
    return !this.#evicted;
  }

  /** All weight added, over every value. */
  get total(): number {
    return this.#total;
  }

  add(value: string, weight: number): void {
    if (!(weight > 0)) return;
    this.#total += weight;
    this.#add(value, weight, 0);
  }

  /**
   * Adds another summary's counts, keeping the bounds: a value the other one no longer holds may have had up to its
   * smallest count there, so every value held here but not there is raised by that much (count and error alike).
   */
  merge(other: SpaceSaving): void {
    if (other.#values.length === 0) return;
    const otherMin = other.#evicted ? Math.min(...other.#counts) : 0;
    if (otherMin > 0) {
      for (let i = 0; i < this.#values.length; i++) {
        if (other.#index.has(this.#values[i]!)) continue;
        this.#counts[i]! += otherMin;
        this.#errors[i]! += otherMin;
      }
      for (let i = (this.#values.length >> 1) - 1; i >= 0; i--) this.#down(i);
    }
    for (let i = 0; i < other.#values.length; i++) this.#add(other.#values[i]!, other.#counts[i]!, other.#errors[i]!);
    this.#total += other.#total;
    this.#evicted ||= other.#evicted;
  }

  #add(value: string, weight: number, error: number): void {
    const at = this.#index.get(value);
    if (at !== undefined) {
      this.#counts[at]! += weight;
      this.#errors[at]! += error;
      this.#down(at);
      return;
    }
    if (this.#values.length < this.#capacity) {
      this.#values.push(value);
      this.#counts.push(weight);
      this.#errors.push(error);
      this.#index.set(value, this.#values.length - 1);
      this.#up(this.#values.length - 1);
      return;
    }
    // Full: the smallest counter gives way; the new value may have had up to that many hits unseen.
    const min = this.#counts[0]!;
    this.#index.delete(this.#values[0]!);
    this.#evicted = true;
    this.#values[0] = value;
    this.#counts[0] = min + weight;
    this.#errors[0] = min + error;
    this.#index.set(value, 0);
    this.#down(0);
  }

  /** The n values with the most certain hits (count − error) first, then the most possible hits, then by value. */
  top(n: number): TopEntry[] {
    return this.#values
      .map((value, i) => ({ value, count: this.#counts[i]!, error: this.#errors[i]! }))
      .sort((a, b) => b.count - b.error - (a.count - a.error) || b.count - a.count || (a.value < b.value ? -1 : 1))
      .slice(0, n)
      .map(({ value, count, error }) => (error > 0 ? { value, count, error } : { value, count }));
  }

  /** How exact `top(n)` is. */
  accuracy(n: number): TopAccuracy {
    return { exact: this.exact, hits: this.#total, counters: this.#capacity, maxError: Math.max(0, ...this.top(n).map((e) => e.error ?? 0)) };
  }

  #swap(i: number, j: number): void {
    const values = this.#values;
    const counts = this.#counts;
    const errors = this.#errors;
    [values[i], values[j]] = [values[j]!, values[i]!];
    [counts[i], counts[j]] = [counts[j]!, counts[i]!];
    [errors[i], errors[j]] = [errors[j]!, errors[i]!];
    this.#index.set(values[i]!, i);
    this.#index.set(values[j]!, j);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#counts[parent]! <= this.#counts[i]!) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#values.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.#counts[left]! < this.#counts[smallest]!) smallest = left;
      if (right < n && this.#counts[right]! < this.#counts[smallest]!) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
