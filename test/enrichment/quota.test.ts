import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FREE_TIER_LIMITS, QuotaLimiter, type Clock } from '../../src/enrichment/quota.js';
import { StateStore } from '../../src/state.js';

const dir = mkdtempSync(join(tmpdir(), 'tpot2misp-quota-'));
after(() => rmSync(dir, { recursive: true, force: true }));

class FakeClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const NOON = Date.UTC(2025, 2, 14, 12, 0, 0);

describe('QuotaLimiter', () => {
  it('defaults to the free tiers of the reference', () => {
    assert.deepEqual(FREE_TIER_LIMITS.virustotal, { perMinute: 4, perDay: 500 });
    assert.deepEqual(FREE_TIER_LIMITS.abuseipdb, { perDay: 1000 });
    assert.equal(FREE_TIER_LIMITS.greynoise.perMinute, undefined);
  });

  it('hands VirusTotal at most 4 slots in any 60 s window and says how long to wait', () => {
    const state = StateStore.open(':memory:');
    const clock = new FakeClock(NOON);
    const limiter = new QuotaLimiter(state, { clock });
    const granted: number[] = [];
    // Try every second for 3 minutes; record when slots were granted.
    for (let t = 0; t < 180; t++) {
      if (limiter.tryAcquire('virustotal') === true) granted.push(clock.ms);
      clock.advance(1000);
    }
    for (const start of granted) assert.ok(granted.filter((g) => g >= start && g < start + 60_000).length <= 4, 'never more than 4 in a 60 s window');
    assert.equal(granted.length, 12);
    clock.ms = NOON + 3_600_000;
    for (let i = 0; i < 4; i++) assert.equal(limiter.tryAcquire('virustotal'), true);
    clock.advance(15_000);
    assert.equal(limiter.tryAcquire('virustotal'), 45_000, 'the oldest slot frees 60 s after it was taken');
    state.close();
  });

  it('stops at the daily cap until 00:00 UTC, and keeps the count across a StateStore reopen', () => {
    const path = join(dir, 'daily.db');
    const clock = new FakeClock(Date.UTC(2025, 2, 14, 23, 0, 0));
    let state = StateStore.open(path);
    let limiter = new QuotaLimiter(state, { clock, limits: { abuseipdb: { perDay: 5 } } });
    for (let i = 0; i < 3; i++) assert.equal(limiter.tryAcquire('abuseipdb'), true);
    state.close();

    state = StateStore.open(path);
    limiter = new QuotaLimiter(state, { clock, limits: { abuseipdb: { perDay: 5 } } });
    assert.equal(limiter.usage('abuseipdb').usedToday, 3, 'persisted');
    assert.equal(limiter.tryAcquire('abuseipdb'), true);
    assert.equal(limiter.tryAcquire('abuseipdb'), true);
    assert.equal(limiter.tryAcquire('abuseipdb'), 3_600_000, 'capped until the next UTC midnight');
    assert.equal(limiter.tryAcquire('virustotal'), true, 'other providers keep their own budget');
    clock.advance(3_600_000);
    assert.equal(limiter.usage('abuseipdb').usedToday, 0, 'a new UTC day');
    assert.equal(limiter.tryAcquire('abuseipdb'), true);
    state.close();
  });

  it('pauses only the provider that answered 429, persists the pause, and observes AbuseIPDB remaining=0', () => {
    const path = join(dir, 'pause.db');
    const clock = new FakeClock(NOON);
    let state = StateStore.open(path);
    let limiter = new QuotaLimiter(state, { clock });
    limiter.pause('greynoise', 30_000);
    assert.equal(limiter.tryAcquire('greynoise'), 30_000);
    assert.equal(limiter.tryAcquire('virustotal'), true);
    assert.equal(limiter.tryAcquire('abuseipdb'), true);
    limiter.pause('greynoise', 1000);
    assert.equal(limiter.tryAcquire('greynoise'), 30_000, 'a shorter pause does not cut a longer one');
    state.close();

    state = StateStore.open(path);
    limiter = new QuotaLimiter(state, { clock });
    clock.advance(10_000);
    assert.equal(limiter.tryAcquire('greynoise'), 20_000, 'the pause survives a restart');
    clock.advance(20_000);
    assert.equal(limiter.tryAcquire('greynoise'), true);

    limiter.observeRemaining('abuseipdb', 5, NOON + 3_600_000);
    assert.equal(limiter.tryAcquire('abuseipdb'), true);
    limiter.observeRemaining('abuseipdb', 0, NOON + 3_600_000);
    assert.equal(limiter.tryAcquire('abuseipdb'), 3_600_000 - 30_000, 'paused until X-RateLimit-Reset');
    state.close();
  });
});
