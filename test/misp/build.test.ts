import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v5 as uuidv5 } from 'uuid';
import { DailyBucket } from '../../src/aggregate.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import type { AttackEvent } from '../../src/attack-event.js';
import { cowrie } from '../../src/honeypots/cowrie.js';
import { extractIndicators } from '../../src/indicators.js';
import { buildEventChanges, buildEventChangesInParts, type DeliveredItem, type EnrichmentView, type Ledger } from '../../src/misp/build.js';
import { MispRestSink } from '../../src/misp/rest-sink.js';
import { startMispEmulator } from '../emulators/misp-emulator.js';

const NAMESPACE = '70423ab8-5c81-4fa9-ae8c-7415a7c21621';
const settings = { uuidNamespace: NAMESPACE, distribution: 0, threatLevel: 3, analysis: 2, tags: ['team:soc'] };
const emptyLedger: Ledger = { eventDelivered: false, item: () => undefined };

function bucketOf(events: Partial<AttackEvent>[]): DailyBucket {
  const bucket = new DailyBucket('Cowrie', '2025-03-14');
  const policy = new AttackerIpPolicy();
  for (const e of events) {
    const event = { honeypot: 'Cowrie', srcIp: '198.51.100.23', time: Date.UTC(2025, 2, 14, 9), destPort: 22, transport: 'tcp', protocol: 'ssh', ...e } as AttackEvent;
    const observation = extractIndicators(event, policy);
    assert.ok(!('skip' in observation));
    bucket.add(observation, event.time);
  }
  return bucket;
}

const sample = [
  { session: 's1', credentials: [{ username: 'root', password: '123456', success: false }] },
  { session: 's1', time: Date.UTC(2025, 2, 14, 9, 5), commands: ['uname -a'] },
  { session: 's2', srcIp: '2001:db8::5', time: Date.UTC(2025, 2, 14, 23, 59, 59), destPort: 23, protocol: 'telnet' },
  { session: 's3', time: Date.UTC(2025, 2, 14, 12), credentials: [{ username: 'root', password: '123456', success: false }] },
];

describe('a value seen both as a client-written source and as the TCP peer', () => {
  const spoofable = { srcIpFromClientHeader: 'X-Forwarded-For' as const, session: 'h1' };
  const peer = { session: 'h2', time: Date.UTC(2025, 2, 14, 10) };
  for (const [name, order] of [['header first', [spoofable, peer]], ['peer first', [peer, spoofable]]] as const) {
    it(`is exported for IDS, whichever sighting came first (${name})`, () => {
      const changes = buildEventChanges(bucketOf([...order]), emptyLedger, settings);
      const source = changes.attributes.filter((c) => c.item.type === 'ip-src');
      assert.equal(source.length, 1);
      assert.equal(source[0]!.item.to_ids, true);
      assert.doesNotMatch(source[0]!.item.comment ?? '', /header/);
      assert.match(source[0]!.item.comment ?? '', /^2 hits/);
    });
  }
  it('stays out of IDS export when every sighting may be client-written', () => {
    const changes = buildEventChanges(bucketOf([spoofable, { ...spoofable, session: 'h3' }]), emptyLedger, settings);
    const source = changes.attributes.find((c) => c.item.type === 'ip-src');
    assert.equal(source?.item.to_ids, false);
    assert.match(source?.item.comment ?? '', /X-Forwarded-For header/);
  });
});

describe('an address once delivered as the TCP peer, in a later delivery that only sees it from a header', () => {
  const spoofable = { srcIpFromClientHeader: 'X-Forwarded-For' as const, session: 'h1', time: Date.UTC(2025, 2, 14, 11) };
  const peer = { session: 'h2', time: Date.UTC(2025, 2, 14, 10) };
  /** The ledger a sink holds once `changes` were delivered (what state.commit records). */
  const ledgerAfter = (changes: ReturnType<typeof buildEventChanges>, rewrite: (item: DeliveredItem) => DeliveredItem = (i) => i): Ledger => {
    const delivered = new Map<string, DeliveredItem>([...changes.attributes, ...changes.objects].map((c) => [c.item.uuid, rewrite({ fingerprint: c.fingerprint, tally: c.tally })]));
    return { eventDelivered: true, item: (uuid) => delivered.get(uuid) };
  };
  const ipSrc = (changes: ReturnType<typeof buildEventChanges>) => changes.attributes.find((c) => c.item.type === 'ip-src');

  it('stays exported for IDS, without the header comment, in every later delivery (the same attribute)', () => {
    const first = buildEventChanges(bucketOf([peer]), emptyLedger, settings);
    assert.equal(ipSrc(first)?.tally.ids, true, 'the ledger records the peer sighting');
    const second = buildEventChanges(bucketOf([spoofable]), ledgerAfter(first), settings);
    const source = ipSrc(second);
    assert.equal(source?.item.uuid, ipSrc(first)?.item.uuid);
    assert.equal(source?.isNew, false);
    assert.equal(source?.item.to_ids, true);
    assert.equal(source?.item.comment, '2 hits; ports 22/tcp; protocols ssh');
    assert.equal(source?.tally.ids, true);
    const third = buildEventChanges(bucketOf([{ ...spoofable, session: 'h3' }]), ledgerAfter(second), settings);
    assert.equal(ipSrc(third)?.item.to_ids, true);
    assert.equal(ipSrc(third)?.item.comment, '3 hits; ports 22/tcp; protocols ssh');
  });

  it('a header-only address stays out of IDS export, and its ledger row carries no flag', () => {
    const first = buildEventChanges(bucketOf([spoofable]), emptyLedger, settings);
    assert.ok(!('ids' in ipSrc(first)!.tally));
    const second = buildEventChanges(bucketOf([{ ...spoofable, session: 'h3' }]), ledgerAfter(first), settings);
    assert.equal(ipSrc(second)?.item.to_ids, false);
    assert.match(ipSrc(second)?.item.comment ?? '', /^Source address as logged \(may come from the client's X-Forwarded-For header\); 2 hits/);
    assert.ok(!('ids' in ipSrc(second)!.tally));
  });

  it('a ledger row written before the peer sighting was recorded behaves as before (the header sighting wins)', () => {
    const first = buildEventChanges(bucketOf([peer]), emptyLedger, settings);
    const older = ledgerAfter(first, ({ fingerprint, tally: { ids: _ids, ...tally } }) => ({ fingerprint, tally }));
    const second = buildEventChanges(bucketOf([spoofable]), older, settings);
    assert.equal(ipSrc(second)?.item.to_ids, false);
    assert.match(ipSrc(second)?.item.comment ?? '', /X-Forwarded-For header/);
    // A peer sighting in a later delivery records it from then on.
    const third = buildEventChanges(bucketOf([peer]), ledgerAfter(second), settings);
    assert.equal(ipSrc(third)?.item.to_ids, true);
    assert.equal(ipSrc(third)?.tally.ids, true);
  });

  it('only source addresses record it: the ledger rows of every other indicator stay as they were', () => {
    const changes = buildEventChanges(bucketOf(sample), emptyLedger, settings);
    for (const c of [...changes.attributes, ...changes.objects]) {
      assert.equal('ids' in c.tally, 'type' in c.item && c.item.type === 'ip-src', JSON.stringify(c.tally));
    }
  });
});

describe('buildEventChanges', () => {
  it('derives the event from the honeypot and day: UUIDv5, info, date, tags, config enums', () => {
    const changes = buildEventChanges(bucketOf(sample), emptyLedger, settings);
    assert.equal(changes.event.uuid, uuidv5('Cowrie|2025-03-14', NAMESPACE));
    assert.equal(changes.event.info, 'T-Pot Cowrie attacks 2025-03-14');
    assert.equal(changes.event.date, '2025-03-14');
    assert.equal(changes.event.published, false);
    assert.deepEqual([changes.event.distribution, changes.event.threat_level_id, changes.event.analysis], ['0', '3', '2']);
    assert.deepEqual(changes.event.Tag.map((t) => t.name), [
      'tlp:clear',
      'honeypot-basic:interaction-level="medium"',
      'honeypot-basic:data-capture="attacks"',
      'tpot:honeypot="Cowrie"',
      'team:soc',
    ]);
    assert.equal(changes.createEvent, true);
  });

  it('lets a configured TLP tag replace tlp:clear', () => {
    const changes = buildEventChanges(bucketOf(sample), emptyLedger, { ...settings, tags: ['tlp:amber'] });
    assert.deepEqual(changes.event.Tag.filter((t) => t.name.startsWith('tlp:')).map((t) => t.name), ['tlp:amber']);
  });

  it('holds each indicator once with count, ports, protocols and first/last seen', () => {
    const changes = buildEventChanges(bucketOf(sample), emptyLedger, settings);
    const ips = changes.attributes.filter((c) => c.item.type === 'ip-src').map((c) => c.item);
    assert.deepEqual(ips.map((a) => a.value), ['198.51.100.23', '2001:db8::5']);
    const [v4] = ips;
    assert.equal(v4?.comment, '3 hits; ports 22/tcp; protocols ssh');
    assert.equal(v4?.first_seen, '2025-03-14T09:00:00.000000+00:00');
    assert.equal(v4?.last_seen, '2025-03-14T12:00:00.000000+00:00');
    assert.equal(v4?.to_ids, true);
    assert.equal(ips[1]?.comment, '1 hit; ports 23/tcp; protocols telnet');
    const login = changes.objects.find((c) => c.item.Attribute.some((a) => a.object_relation === 'password'))?.item;
    assert.equal(login?.comment, '2 attempts');
    assert.equal(login?.Attribute.find((a) => a.object_relation === 'session')?.value, 's1', 'the session the tuple was first seen in');
    assert.equal(login?.template_uuid, 'ae085d32-6534-4d52-b3eb-063fccb753e7');
    // What every login shares (its event id, its protocol) would link every daily event to every other.
    assert.deepEqual(
      login?.Attribute.map((a) => `${a.object_relation}${a.disable_correlation ? ' (uncorrelated)' : ''}`),
      ['session', 'src_ip', 'username', 'password', 'protocol (uncorrelated)', 'eventid (uncorrelated)'],
    );
    assert.equal(v4?.disable_correlation, false, 'an attacker address correlates');
  });

  it('keeps an empty Cowrie password apart from a login that logged none, saying so in the comment (MISP refuses an empty value)', () => {
    const login = (password: unknown) => cowrie.normalize({ '@timestamp': '2025-03-14T09:00:00.000Z', type: 'Cowrie', eventid: 'cowrie.login.failed', src_ip: '198.51.100.23', session: 's1', protocol: 'ssh', username: 'admin', ...(password !== undefined && { password }) });
    const events = [login(''), login(''), login(undefined)].map((e) => {
      assert.ok(!('skip' in e));
      return e;
    });
    const objects = buildEventChanges(bucketOf(events), emptyLedger, settings).objects.map((c) => c.item);
    const described = objects.map((o) => `${o.comment}: ${o.Attribute.filter((a) => a.object_relation === 'username' || a.object_relation === 'password').map((a) => `${a.object_relation}=${a.value}`).join(' ')}`);
    assert.deepEqual(described.sort(), ['1 attempt: username=admin', '2 attempts; empty password: username=admin']);
  });

  it('is a pure function of the data: same input, same output, byte for byte', () => {
    const a = JSON.stringify(buildEventChanges(bucketOf(sample), emptyLedger, settings));
    const b = JSON.stringify(buildEventChanges(bucketOf([...sample].reverse()), emptyLedger, settings));
    assert.equal(a, b);
  });

  it('sends nothing the sink already holds, and updates what grew', () => {
    const first = buildEventChanges(bucketOf(sample), emptyLedger, settings);
    const delivered = new Map<string, DeliveredItem>(
      [...first.attributes, ...first.objects].map((c) => [c.item.uuid, { fingerprint: c.fingerprint, tally: c.tally }]),
    );
    const ledger: Ledger = { eventDelivered: true, item: (uuid) => delivered.get(uuid) };
    // The same data again (e.g. an overlapping read) merged onto the ledger would double counts — but new data only:
    const later = buildEventChanges(bucketOf([{ session: 's9', time: Date.UTC(2025, 2, 14, 13) }]), ledger, settings);
    assert.equal(later.createEvent, false);
    assert.equal(later.objects.length, 0);
    assert.equal(later.attributes.length, 1);
    const updated = later.attributes[0]!;
    assert.equal(updated.isNew, false);
    assert.equal(updated.item.comment, '4 hits; ports 22/tcp; protocols ssh');
    assert.equal(updated.item.last_seen, '2025-03-14T13:00:00.000000+00:00');
    const nothing = buildEventChanges(new DailyBucket('Cowrie', '2025-03-14'), ledger, settings);
    assert.deepEqual([nothing.createEvent, nothing.attributes.length, nothing.objects.length], [false, 0, 0]);
  });

  it('a cowrie object keeps the session it was delivered with when an earlier session is reported later', () => {
    const login = { credentials: [{ username: 'root', password: 'admin', success: false }] };
    const first = buildEventChanges(bucketOf([{ ...login, session: 'late-b', time: Date.UTC(2025, 2, 14, 10) }]), emptyLedger, settings);
    const delivered = new Map<string, DeliveredItem>([...first.attributes, ...first.objects].map((c) => [c.item.uuid, { fingerprint: c.fingerprint, tally: c.tally }]));
    const ledger: Ledger = { eventDelivered: true, item: (uuid) => delivered.get(uuid) };
    const sessions = (changes: typeof first) => changes.objects[0]!.item.Attribute.filter((a) => a.object_relation === 'session').map((a) => `${a.uuid} ${a.value}`);
    // HPFEEDS reports a session when it ends: a long session that began earlier arrives in a later flush.
    const earlier = buildEventChanges(bucketOf([{ ...login, session: 'early-a', time: Date.UTC(2025, 2, 14, 9) }]), ledger, settings);
    assert.deepEqual(sessions(earlier), sessions(first), 'the same session attribute, so MISP is not given a second one');
    assert.equal(earlier.objects[0]!.item.first_seen, '2025-03-14T09:00:00.000000+00:00', 'first_seen still moves earlier');
    assert.equal(earlier.objects[0]!.tally.firstSession, 'late-b', 'and the ledger keeps that session');
  });

  it('a re-check of enrichment that answers the same sends nothing (no MISP edit, no re-publication)', () => {
    const bucket = bucketOf([{ session: 's1' }]);
    const answers = (fetchedAt: number, notFoundAt: number): EnrichmentView => ({
      dropBenign: false,
      answersFor: (indicator) =>
        indicator.kind === 'attribute' && indicator.type === 'ip-src'
          ? {
              subject: { kind: 'ip', value: indicator.value },
              answers: {
                abuseipdb: { fetchedAt, fresh: true, answer: { status: 'found', data: { provider: 'abuseipdb', abuseConfidenceScore: 90, totalReports: 12, countryCode: 'NL', isp: 'Example', usageType: null, isWhitelisted: false, lastReportedAt: '2025-03-13T00:00:00Z' } } },
                virustotal: { fetchedAt: notFoundAt, fresh: true, answer: { status: 'not_found' } },
              },
            }
          : undefined,
    });
    const first = buildEventChanges(bucket, emptyLedger, settings, answers(Date.UTC(2025, 2, 14, 12), Date.UTC(2025, 2, 14, 12)));
    assert.equal(first.objects.filter((o) => o.item.name === 'abuseipdb').length, 1);
    assert.ok(first.attributes.some((a) => a.item.Tag?.some((t) => t.name === 'abuseipdb:confidence="high"')));
    const delivered = new Map<string, DeliveredItem>([...first.attributes, ...first.objects].map((c) => [c.item.uuid, { fingerprint: c.fingerprint, tally: c.tally }]));
    const ledger: Ledger = { eventDelivered: true, item: (uuid) => delivered.get(uuid) };
    // Six hours later both providers are asked again (TTL): same verdicts, only the fetch times moved.
    const touched = new DailyBucket('Cowrie', '2025-03-14');
    for (const { indicator } of bucket.values()) touched.touch(indicator);
    const again = buildEventChanges(touched, ledger, settings, answers(Date.UTC(2025, 2, 14, 18), Date.UTC(2025, 2, 14, 18)));
    assert.deepEqual([again.attributes.length, again.objects.length], [0, 0]);
  });

  it('never creates an event with nothing in it; the first part with content creates it', () => {
    const touchedOnly = new DailyBucket('Cowrie', '2025-03-14');
    for (const { indicator } of bucketOf(sample).values()) touchedOnly.touch(indicator);
    // Enrichment re-delivered to a sink that never held the event (MISP_URL changed): nothing to say there.
    assert.deepEqual([...buildEventChangesInParts(touchedOnly, emptyLedger, settings, 2)], []);
    // The first part holds only such entries, the second a new attacker.
    const mixed = new DailyBucket('Cowrie', '2025-03-14');
    for (const { indicator } of bucketOf(sample).values()) mixed.touch(indicator);
    const event = { honeypot: 'Cowrie', srcIp: '203.0.113.9', time: Date.UTC(2025, 2, 14, 9), session: 's9' } as AttackEvent;
    const observation = extractIndicators(event, new AttackerIpPolicy());
    assert.ok(!('skip' in observation));
    mixed.add(observation, event.time);
    const parts = [...buildEventChangesInParts(mixed, emptyLedger, settings, 2)];
    assert.equal(parts.length, 1);
    assert.equal(parts[0]!.createEvent, true);
    assert.deepEqual(parts[0]!.attributes.map((a) => a.item.value), ['203.0.113.9']);
  });

  it('lets go of what each part built, and the parts hold what one build holds', () => {
    const whole = buildEventChanges(bucketOf(sample), emptyLedger, settings);
    const bucket = bucketOf(sample);
    const held = bucket.size;
    assert.equal(held, whole.attributes.length + whole.objects.length);
    const sizes: number[] = [];
    const parts: ReturnType<typeof buildEventChanges>[] = [];
    for (const part of buildEventChangesInParts(bucket, emptyLedger, settings, 2)) {
      sizes.push(bucket.size);
      parts.push(part);
    }
    // Memory on a long read: a part's indicators are gone from the bucket once it is built, not at the commit.
    assert.deepEqual(sizes, Array.from({ length: parts.length }, (_v, i) => Math.max(0, held - 2 * (i + 1))));
    assert.equal(bucket.size, 0);
    const uuids = (changes: ReturnType<typeof buildEventChanges>[]) => changes.flatMap((c) => [...c.attributes, ...c.objects].map((i) => i.item.uuid)).sort();
    assert.deepEqual(uuids(parts), uuids([whole]));
  });

  it('spellings MISP holds as one value (case, trailing blanks) are one attribute, in MISP too: nothing refused, nothing dropped', async () => {
    const misp = await startMispEmulator();
    try {
      const sink = new MispRestSink({ url: misp.url, key: misp.apiKey, verifySsl: false, batchSize: 50, timeoutMs: 5000, retry: { maxRetries: 0 } });
      const first = buildEventChanges(bucketOf([{ requests: [{ method: 'GET', path: '/HNAP1/' }], clientVersion: 'SSH-2.0-Go ' }, { requests: [{ method: 'GET', path: '/hnap1/' }], clientVersion: 'SSH-2.0-GO' }]), emptyLedger, settings);
      assert.deepEqual(first.attributes.map((a) => `${a.item.type}=${a.item.value}`), ['ip-src=198.51.100.23', 'text=SSH-2.0-Go', 'uri=/HNAP1/']);
      const [delivery] = await sink.apply([first]);
      assert.deepEqual(delivery!.rejected, []);
      const delivered = new Map<string, DeliveredItem>([...first.attributes, ...first.objects].map((c) => [c.item.uuid, { fingerprint: c.fingerprint, tally: c.tally }]));
      // The next flush sees the other spelling first: the same attribute is updated (its count grows), none is added.
      const second = buildEventChanges(bucketOf([{ requests: [{ method: 'GET', path: '/hnap1/' }] }]), { eventDelivered: true, item: (uuid) => delivered.get(uuid) }, settings);
      assert.ok(second.attributes.every((a) => !a.isNew));
      const [again] = await sink.apply([second]);
      await sink.close();
      assert.deepEqual(again!.rejected, []);
      const uris = misp.events()[0]!.Attribute.filter((a) => a.type === 'uri');
      assert.equal(uris.length, 1);
      assert.match(uris[0]!.comment, /\b3 hits\b/, 'both flushes\' hits (2 + 1) on the one attribute');
      assert.deepEqual(misp.specViolations, []);
      assert.deepEqual(misp.unreported, []);
    } finally {
      await misp.close();
    }
  });

  it('MISP (the emulator) ends up with one session on that object', async () => {
    const misp = await startMispEmulator();
    try {
      const sink = new MispRestSink({ url: misp.url, key: misp.apiKey, verifySsl: false, batchSize: 50, timeoutMs: 5000, retry: { maxRetries: 0 } });
      const login = { credentials: [{ username: 'root', password: 'admin', success: false }] };
      const first = buildEventChanges(bucketOf([{ ...login, session: 'late-b', time: Date.UTC(2025, 2, 14, 10) }]), emptyLedger, settings);
      await sink.apply([first]);
      const delivered = new Map<string, DeliveredItem>([...first.attributes, ...first.objects].map((c) => [c.item.uuid, { fingerprint: c.fingerprint, tally: c.tally }]));
      await sink.apply([buildEventChanges(bucketOf([{ ...login, session: 'early-a', time: Date.UTC(2025, 2, 14, 9) }]), { eventDelivered: true, item: (uuid) => delivered.get(uuid) }, settings)]);
      await sink.close();
      const [object] = misp.events()[0]!.Object;
      assert.deepEqual(object!.Attribute.filter((a) => a.object_relation === 'session').map((a) => `${a.value}${a.deleted ? ' (deleted)' : ''}`), ['late-b']);
      assert.deepEqual(misp.specViolations, []);
      assert.deepEqual(misp.unreported, []);
    } finally {
      await misp.close();
    }
  });
});
