import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mergeTally, observeInPlace, TALLY_LIST_LIMIT, tallyOf, type MutableTally, type Tally } from '../src/tally.js';

function fold(observations: Tally[]): Tally {
  return observations.reduce((a, b) => mergeTally(a, b));
}

describe('Tally', () => {
  const observations = Array.from({ length: 40 }, (_, i) =>
    tallyOf({ time: 1_000 + ((i * 7919) % 97), port: `${1000 + ((i * 13) % 20)}/tcp`, protocol: i % 3 === 0 ? 'ssh' : 'telnet', session: `s${(i * 31) % 17}` }),
  );

  it('counts, and keeps first and last seen', () => {
    const t = fold(observations);
    assert.equal(t.count, 40);
    assert.equal(t.firstSeen, Math.min(...observations.map((o) => o.firstSeen)));
    assert.equal(t.lastSeen, Math.max(...observations.map((o) => o.lastSeen)));
    assert.deepEqual(t.protocols, ['ssh', 'telnet']);
  });

  it('gives the same result whatever the order or split of the data (so incremental runs converge)', () => {
    const whole = fold(observations);
    const reversed = fold([...observations].reverse());
    const split = mergeTally(fold(observations.slice(25)), fold(observations.slice(0, 25)));
    assert.deepEqual(reversed, whole);
    assert.deepEqual(split, whole);
  });

  it('shares one-entry lists between tallies, and an update never changes what another tally holds', () => {
    const a = tallyOf({ time: 1, port: '22/tcp', protocol: 'ssh' });
    const b = tallyOf({ time: 2, port: '22/tcp', protocol: 'ssh' });
    // Memory on long reads: most held indicators list one port and one protocol, from a few distinct values.
    assert.equal(a.ports, b.ports);
    assert.equal(a.protocols, b.protocols);
    assert.equal(mergeTally(a, b).ports, a.ports);
    observeInPlace(a as MutableTally, { time: 3, port: '2222/tcp', protocol: 'ssh' });
    assert.deepEqual(a.ports, ['22/tcp', '2222/tcp']);
    assert.deepEqual(b.ports, ['22/tcp']);
    assert.deepEqual(tallyOf({ time: 4, port: '22/tcp' }).ports, ['22/tcp']);
  });

  it('never keeps a long attacker-written protocol beyond the tallies that hold it', () => {
    // The shared lists outlive every delivery: an attacker's 64 KB protocol names must not pile up in them.
    const protocol = 'x'.repeat(65_000);
    const a = tallyOf({ time: 1, protocol });
    const b = tallyOf({ time: 2, protocol });
    assert.deepEqual(a.protocols, [protocol]);
    assert.notEqual(a.protocols, b.protocols);
  });

  it('bounds the port list and says when it was cut', () => {
    const t = fold(observations);
    assert.equal(t.ports.length, TALLY_LIST_LIMIT);
    assert.equal(t.portsTruncated, true);
    assert.deepEqual([...t.ports].sort(), t.ports);
    const few = fold(observations.slice(0, 3));
    assert.equal(few.portsTruncated, false);
  });

  it('keeps the session of the earliest observation', () => {
    const a = tallyOf({ time: 50, session: 'late' });
    const b = tallyOf({ time: 10, session: 'early' });
    const c = tallyOf({ time: 10, session: 'aaa' });
    assert.equal(mergeTally(a, b).firstSession, 'early');
    assert.equal(mergeTally(mergeTally(a, b), c).firstSession, 'aaa');
    assert.equal(mergeTally(c, mergeTally(b, a)).firstSession, 'aaa');
  });

  it('remembers an IDS-worthy sighting whatever the order or split, and writes it only when there was one', () => {
    const plain = tallyOf({ time: 5, port: '80/tcp' });
    const ids = tallyOf({ time: 9, port: '80/tcp', ids: true });
    assert.equal(ids.ids, true);
    assert.ok(!('ids' in plain), 'no flag on the many tallies that never need it');
    assert.ok(!('ids' in tallyOf({ time: 5, ids: false })));
    assert.equal(mergeTally(plain, ids).ids, true);
    assert.equal(mergeTally(ids, plain).ids, true);
    assert.equal(mergeTally(mergeTally(plain, plain), ids).ids, true);
    assert.ok(!('ids' in mergeTally(plain, plain)));
    assert.doesNotMatch(JSON.stringify(mergeTally(plain, tallyOf({ time: 7 }))), /ids/, 'a ledger row as small as before');
    // A ledger row written before the flag existed merges like one without it.
    const { ids: _none, ...older } = mergeTally(plain, ids);
    assert.ok(!('ids' in mergeTally(JSON.parse(JSON.stringify(older)) as Tally, plain)));
    const inPlace = { ...plain };
    observeInPlace(inPlace, { time: 3, ids: true });
    observeInPlace(inPlace, { time: 4 });
    assert.equal(inPlace.ids, true);
  });

  it('updating in place gives exactly what merging gives, whatever the observations', () => {
    const observation = fc.record(
      { time: fc.integer({ min: 0, max: 50 }), port: fc.constantFrom(...Array.from({ length: 20 }, (_, i) => `${i}/tcp`)), protocol: fc.constantFrom('ssh', 'telnet', 'http'), session: fc.constantFrom('a', 'b', 'c'), ids: fc.boolean() },
      { requiredKeys: ['time'] },
    );
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 60 }), (observations) => {
        const [first, ...rest] = observations;
        const merged = rest.reduce((t, o) => mergeTally(t, tallyOf(o)), tallyOf(first!));
        const inPlace = { ...tallyOf(first!) };
        for (const o of rest) observeInPlace(inPlace, o);
        assert.deepEqual({ ...inPlace }, merged);
      }),
      { numRuns: 500 },
    );
  });
});
