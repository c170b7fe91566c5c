// A clock for tests: `sleep` moves time forward at once, so hours of quota windows pass in milliseconds.
import type { WaitingClock } from '../../src/enrichment/quota.js';

export class TestClock implements WaitingClock {
  ms: number;
  /** Total time slept, for "spent at most N seconds waiting" checks. */
  slept = 0;

  constructor(start = Date.UTC(2026, 10, 2, 12)) {
    this.ms = start;
  }

  now(): number {
    return this.ms;
  }

  async sleep(ms: number, _signal?: AbortSignal): Promise<void> {
    // Overlapping sleeps (providers wait side by side) end at the later target, as real time would.
    const target = this.ms + Math.max(0, ms);
    await Promise.resolve();
    if (target > this.ms) {
      this.slept += target - this.ms;
      this.ms = target;
    }
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
