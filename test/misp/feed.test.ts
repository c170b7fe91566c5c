import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DailyBucket } from '../../src/aggregate.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import type { AttackEvent } from '../../src/attack-event.js';
import { extractIndicators } from '../../src/indicators.js';
import { Tpot2MispError } from '../../src/errors.js';
import { buildEventChanges, type DeliveredItem, type EventChanges, type Ledger } from '../../src/misp/build.js';
import { FeedSink } from '../../src/misp/feed.js';

const dir = mkdtempSync(join(tmpdir(), 'tpot2misp-feed-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const settings = { uuidNamespace: '70423ab8-5c81-4fa9-ae8c-7415a7c21621', distribution: 0, threatLevel: 3, analysis: 2, tags: [] };
const org = { name: 'T-Pot', uuid: '3a5b8c1e-7f2d-4e6a-9b0c-1d2e3f4a5b6c' };

function bucket(ips: string[], hour: number, day = '2025-03-14'): DailyBucket {
  const b = new DailyBucket('Dionaea', day);
  const policy = new AttackerIpPolicy();
  for (const srcIp of ips) {
    const event: AttackEvent = { honeypot: 'Dionaea', srcIp, time: Date.parse(`${day}T00:00:00Z`) + hour * 3_600_000, destPort: 445, transport: 'tcp', protocol: 'smbd' };
    const o = extractIndicators(event, policy);
    assert.ok(!('skip' in o));
    b.add(o, event.time);
  }
  return b;
}

interface Item {
  uuid: string;
  value: string;
  comment: string;
  timestamp: string;
  first_seen: string;
  last_seen: string;
  Attribute: Item[];
}

function readEvent(feedDir: string, uuid: string): { timestamp: string; Attribute: Item[]; Object: Item[] } {
  return JSON.parse(readFileSync(join(feedDir, `${uuid}.json`), 'utf8')).Event;
}

/** One whole delivery: the sink's `apply`, then `finishDelivery`, as the pipeline does before it commits. */
async function applyAll(sink: FeedSink, changes: EventChanges[]) {
  const deliveries = await sink.apply(changes);
  await sink.finishDelivery();
  return deliveries;
}

function readManifest(feedDir: string): Record<string, { timestamp: string; info: string; date: string }> {
  return JSON.parse(readFileSync(join(feedDir, 'manifest.json'), 'utf8'));
}

/** A sink and the ledger a run would keep for it (what `state.commit` records). */
function feedWithLedger(feedDir: string, clock: { now: number }, warnings: string[] = []) {
  const sink = new FeedSink(feedDir, org, { now: () => clock.now, onWarning: (message) => warnings.push(message) });
  const delivered = new Map<string, DeliveredItem>();
  const ledger = (): Ledger => ({ eventDelivered: delivered.size > 0, item: (uuid) => delivered.get(uuid) });
  const deliver = async (changes: EventChanges) => {
    const [delivery] = await applyAll(sink, [changes]);
    for (const c of [...changes.attributes, ...changes.objects]) delivered.set(c.item.uuid, { fingerprint: c.fingerprint, tally: c.tally });
    return delivery;
  };
  return { sink, ledger, deliver };
}

function snapshot(path: string): Record<string, string> {
  return Object.fromEntries(readdirSync(path).sort().map((name) => [name, readFileSync(join(path, name), 'utf8')]));
}

describe('FeedSink', () => {
  const feedDir = join(dir, 'feed');
  // The write time, well after the attacks: a change is stamped with it, first_seen/last_seen say when attacked.
  const clock = { now: Date.UTC(2025, 2, 15, 8, 0, 0) };
  const sink = new FeedSink(feedDir, org, { now: () => clock.now });
  const delivered = new Map<string, DeliveredItem>();
  const ledger = (): Ledger => ({ eventDelivered: delivered.size > 0, item: (uuid) => delivered.get(uuid) });

  it('writes a busy event as the compact JSON of the event, in pieces of any size', async () => {
    const busyDir = join(dir, 'busy');
    const name = 'Équipe "SOC" <b>🛡</b>';
    const busy = new FeedSink(busyDir, { name, uuid: org.uuid }, { now: () => clock.now });
    const ips = Array.from({ length: 4000 }, (_v, i) => `2001:db8::${i.toString(16)}`);
    const changes = buildEventChanges(bucket(ips, 1), { eventDelivered: false, item: () => undefined }, settings);
    await applyAll(busy, [changes]);
    const text = readFileSync(join(busyDir, `${changes.event.uuid}.json`), 'utf8');
    assert.ok(text.length > 2 * 1024 * 1024, 'more than one write of the file');
    const parsed = JSON.parse(text) as { Event: { Orgc: { name: string }; Attribute: unknown[]; Object: unknown[] } };
    // The same bytes as JSON.stringify of the whole event: what a MISP pulling the feed parses.
    assert.equal(text, `${JSON.stringify(parsed)}\n`);
    assert.equal(parsed.Event.Orgc.name, name);
    assert.equal(parsed.Event.Attribute.length, changes.attributes.length);
    assert.equal(parsed.Event.Object.length, changes.objects.length);
    assert.ok(changes.attributes.length >= 4000 && changes.objects.length >= 4000);
    assert.deepEqual(readdirSync(busyDir).filter((f) => f.includes('.tmp-')), []);
  });

  it('writes manifest.json, <uuid>.json and hashes.csv in MISP feed format', async () => {
    const changes = buildEventChanges(bucket(['198.51.100.1', '198.51.100.2', '198.51.100.1'], 1), ledger(), settings);
    const [delivery] = await applyAll(sink, [changes]);
    for (const c of [...changes.attributes, ...changes.objects]) delivered.set(c.item.uuid, { fingerprint: c.fingerprint, tally: c.tally });
    assert.equal(delivery?.eventCreated, true);
    assert.equal(delivery?.attributesAdded, 2);
    assert.equal(delivery?.objectsAdded, 2);
    const files = readdirSync(feedDir).sort();
    assert.deepEqual(files, [`${changes.event.uuid}.json`, 'hashes.csv', 'manifest.json'].sort());
    const manifest = JSON.parse(readFileSync(join(feedDir, 'manifest.json'), 'utf8'));
    const entry = manifest[changes.event.uuid];
    assert.deepEqual(Object.keys(entry).sort(), ['Orgc', 'Tag', 'analysis', 'date', 'info', 'threat_level_id', 'timestamp']);
    assert.deepEqual(entry.Orgc, org);
    const event = JSON.parse(readFileSync(join(feedDir, `${changes.event.uuid}.json`), 'utf8')).Event;
    // A new event: its newest hit (the same files whatever the clock); later changes carry the write time.
    assert.equal(event.timestamp, String(Date.UTC(2025, 2, 14, 1) / 1000));
    assert.equal(entry.timestamp, event.timestamp);
    assert.equal(event.published, false);
    assert.equal(event.Attribute.length, 2);
    assert.equal(event.Attribute[0].distribution, undefined, 'feeds carry no distribution');
    const hashes = readFileSync(join(feedDir, 'hashes.csv'), 'utf8').trim().split('\n');
    const md5 = createHash('md5').update('198.51.100.1').digest('hex');
    assert.ok(hashes.includes(`${md5},${changes.event.uuid}`));
  });

  it('writes a busy day: more items than a function call may take arguments', async () => {
    const busyDir = join(dir, 'busy');
    const ips = Array.from({ length: 160_000 }, (_, n) => `2001:db8:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`);
    const b = new DailyBucket('Honeytrap', '2025-03-14');
    const policy = new AttackerIpPolicy();
    for (const [n, srcIp] of ips.entries()) {
      const event: AttackEvent = { honeypot: 'Honeytrap', srcIp, time: Date.parse('2025-03-14T00:00:00Z') + n * 100 };
      const o = extractIndicators(event, policy);
      assert.ok(!('skip' in o));
      b.add(o, event.time);
    }
    const changes = buildEventChanges(b, { eventDelivered: false, item: () => undefined }, settings);
    const [delivery] = await applyAll(new FeedSink(busyDir, org), [changes]);
    assert.equal(delivery?.attributesAdded, ips.length);
    assert.equal(readManifest(busyDir)[changes.event.uuid]?.timestamp, String(Math.floor((Date.parse('2025-03-14T00:00:00Z') + (ips.length - 1) * 100) / 1000)));
  });

  it('rewrites nothing when the same content arrives again (e.g. after the state file was lost)', async () => {
    const before = snapshot(feedDir);
    const mtimes = readdirSync(feedDir).map((f) => statSync(join(feedDir, f)).mtimeMs);
    const replay = buildEventChanges(bucket(['198.51.100.1', '198.51.100.2', '198.51.100.1'], 1), { eventDelivered: false, item: () => undefined }, settings);
    const [delivery] = await applyAll(sink, [replay]);
    assert.equal(delivery?.eventCreated, false);
    assert.equal(delivery?.alreadyPresent, 4);
    assert.deepEqual(snapshot(feedDir), before);
    assert.deepEqual(readdirSync(feedDir).map((f) => statSync(join(feedDir, f)).mtimeMs), mtimes);
  });

  it('merges later data into the same event: new attributes added, grown ones updated, none duplicated', async () => {
    const first = readEvent(feedDir, buildEventChanges(bucket([], 0), ledger(), settings).event.uuid);
    clock.now += 3_600_000;
    const changes = buildEventChanges(bucket(['198.51.100.2', '198.51.100.3'], 5), ledger(), settings);
    const [delivery] = await applyAll(sink, [changes]);
    assert.equal(delivery?.attributesAdded, 1);
    assert.equal(delivery?.attributesUpdated, 1);
    const event = JSON.parse(readFileSync(join(feedDir, `${changes.event.uuid}.json`), 'utf8')).Event;
    assert.deepEqual(event.Attribute.map((a: { value: string }) => a.value), ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    const two = event.Attribute.find((a: { value: string }) => a.value === '198.51.100.2');
    assert.equal(two.comment, '2 hits; ports 445/tcp; protocols smbd');
    assert.equal(event.timestamp, String(clock.now / 1000));
    const stamps = (e: { Attribute: Item[] }) => Object.fromEntries(e.Attribute.map((a) => [a.value, a.timestamp]));
    assert.deepEqual(stamps(event), {
      '198.51.100.1': first.timestamp, // unchanged: keeps its timestamp, a pulling MISP does not edit it again
      '198.51.100.2': String(clock.now / 1000),
      '198.51.100.3': String(clock.now / 1000),
    });
  });

  it("a change of the event's own fields (a tag added to MISP_TAGS) moves the event and the manifest, not its items", async () => {
    const retagDir = join(dir, 'retag');
    const retagClock = { now: Date.UTC(2025, 2, 15, 8, 0, 0) };
    const retagSink = new FeedSink(retagDir, org, { now: () => retagClock.now });
    const same = bucket(['198.51.100.1', '198.51.100.2', '198.51.100.1'], 1);
    const none: Ledger = { eventDelivered: false, item: () => undefined };
    const [first] = await applyAll(retagSink, [buildEventChanges(same, none, settings)]);
    const before = readEvent(retagDir, first!.eventUuid);
    retagClock.now += 600_000;
    const [delivery] = await applyAll(retagSink, [buildEventChanges(same, none, { ...settings, tags: [...settings.tags, 'workflow:state="incomplete"'] })]);
    assert.equal(delivery?.alreadyPresent, 4, 'no item changed');
    const after = JSON.parse(readFileSync(join(retagDir, `${first!.eventUuid}.json`), 'utf8')).Event as { timestamp: string; Tag: { name: string }[]; Attribute: Item[] };
    assert.ok(after.Tag.some((t) => t.name === 'workflow:state="incomplete"'));
    assert.equal(after.timestamp, String(retagClock.now / 1000));
    assert.ok(Number(after.timestamp) > Number(before.timestamp));
    assert.deepEqual(after.Attribute.map((a) => a.timestamp), before.Attribute.map((a) => a.timestamp), 'the items keep their timestamps');
    assert.equal(readManifest(retagDir)[first!.eventUuid]?.timestamp, after.timestamp);
  });
});

describe('FeedSink hashes.csv: a run costs what it adds, not what the feed holds', () => {
  const md5 = (value: string) => createHash('md5').update(value).digest('hex');
  const lines = (feedDir: string) => readFileSync(join(feedDir, 'hashes.csv'), 'utf8');

  it('appends the lines of the values a delivery adds, and leaves what is there (months of feed) unread and untouched', async () => {
    const feedDir = join(dir, 'hashes-append');
    const { ledger, deliver } = feedWithLedger(feedDir, { now: Date.UTC(2025, 2, 15) });
    const first = buildEventChanges(bucket(['198.51.100.1'], 1), ledger(), settings);
    await deliver(first);
    // Lines written by earlier versions or other days, in no particular order: appends keep them as they are.
    const earlier = `${lines(feedDir)}ffffffffffffffffffffffffffffffff,00000000-0000-4000-8000-000000000000\n`;
    writeFileSync(join(feedDir, 'hashes.csv'), earlier);
    await deliver(buildEventChanges(bucket(['198.51.100.1', '198.51.100.2'], 2), ledger(), settings));
    const after = lines(feedDir);
    assert.ok(after.startsWith(earlier), 'appended, not rewritten');
    // Only 198.51.100.2 is new to the event (its attribute and its ip-port object's ip-src: one value, one line);
    // 445 and smbd were there already, in the other ip-port object.
    assert.equal(after.slice(earlier.length), `${md5('198.51.100.2')},${first.event.uuid}\n`);
  });

  it('starts an appended line on a line of its own when a crash cut the last one short', async () => {
    const feedDir = join(dir, 'hashes-cut');
    const { ledger, deliver } = feedWithLedger(feedDir, { now: Date.UTC(2025, 2, 15) });
    await deliver(buildEventChanges(bucket(['198.51.100.1'], 1), ledger(), settings));
    writeFileSync(join(feedDir, 'hashes.csv'), `${lines(feedDir)}0123456789abcdef`);
    const second = buildEventChanges(bucket(['198.51.100.3'], 2), ledger(), settings);
    await deliver(second);
    assert.ok(lines(feedDir).endsWith(`0123456789abcdef\n${md5('198.51.100.3')},${second.event.uuid}\n`));
  });

  it('rebuilds a missing hashes.csv from every event file of the directory', async () => {
    const feedDir = join(dir, 'hashes-rebuilt');
    const { ledger, deliver } = feedWithLedger(feedDir, { now: Date.UTC(2025, 2, 15) });
    const monday = buildEventChanges(bucket(['198.51.100.1'], 1, '2025-03-10'), ledger(), settings);
    await deliver(monday);
    rmSync(join(feedDir, 'hashes.csv'));
    const tuesday = buildEventChanges(bucket(['198.51.100.2'], 1, '2025-03-11'), { eventDelivered: false, item: () => undefined }, settings);
    await deliver(tuesday);
    const rebuilt = lines(feedDir).split('\n').filter(Boolean);
    for (const [ip, event] of [['198.51.100.1', monday], ['198.51.100.2', tuesday]] as const) assert.ok(rebuilt.includes(`${md5(ip)},${event.event.uuid}`), ip);
    assert.ok(rebuilt.includes(`${md5('445')},${monday.event.uuid}`), 'object attributes too');
  });
});

describe('FeedSink timestamps: data that arrives late still reaches a MISP that already pulled the event', () => {
  const feedDir = join(dir, 'late');
  const clock = { now: Date.UTC(2025, 2, 14, 12, 0, 0) };
  const { ledger, deliver } = feedWithLedger(feedDir, clock);
  const uuid = buildEventChanges(bucket([], 0), ledger(), settings).event.uuid;
  // What a pulling MISP compares: the manifest's timestamp for the event, then each item's own timestamp.
  const pulled = () => ({ manifest: Number(readManifest(feedDir)[uuid]?.timestamp), event: readEvent(feedDir, uuid) });
  const byValue = (event: { Attribute: Item[] }, value: string) => event.Attribute.find((a) => a.value === value);
  const ipPort = (event: { Object: Item[] }, ip: string) => event.Object.find((o) => o.Attribute.some((a) => a.value === ip));

  it('first deliveries: attacks at 10:00, then at 11:00, written at 12:00', async () => {
    await deliver(buildEventChanges(bucket(['198.51.100.1', '198.51.100.2'], 10), ledger(), settings));
    assert.equal(pulled().manifest, Date.UTC(2025, 2, 14, 10) / 1000, 'a new event: its newest hit');
    await deliver(buildEventChanges(bucket(['198.51.100.2'], 11), ledger(), settings));
    const { manifest, event } = pulled();
    assert.equal(manifest, clock.now / 1000, 'a change: the write time');
    assert.equal(event.timestamp, String(manifest));
    assert.equal(byValue(event, '198.51.100.2')?.timestamp, String(clock.now / 1000));
    assert.equal(byValue(event, '198.51.100.1')?.timestamp, String(Date.UTC(2025, 2, 14, 10) / 1000), 'unchanged: as first written');
  });

  it('a higher count whose last_seen is older than the pulled event moves the item, the event and the manifest', async () => {
    const before = pulled();
    clock.now += 600_000;
    // A document indexed late: one more hit of 198.51.100.1 at 09:00 (its last_seen stays 10:00).
    const delivery = await deliver(buildEventChanges(bucket(['198.51.100.1'], 9), ledger(), settings));
    assert.equal(delivery?.attributesUpdated, 1);
    const after = pulled();
    assert.ok(after.manifest > before.manifest, `manifest timestamp did not move: ${before.manifest} -> ${after.manifest}`);
    assert.equal(after.event.timestamp, String(after.manifest));
    const grown = byValue(after.event, '198.51.100.1');
    assert.equal(grown?.comment, '2 hits; ports 445/tcp; protocols smbd');
    assert.ok(Number(grown?.timestamp) > Number(byValue(before.event, '198.51.100.1')?.timestamp), 'the grown attribute is newer, so MISP edits it');
    assert.equal(grown?.timestamp, String(clock.now / 1000));
    assert.equal(grown?.first_seen, '2025-03-14T09:00:00.000000+00:00');
    assert.equal(grown?.last_seen, '2025-03-14T10:00:00.000000+00:00', 'last_seen is still the newest attack');
    const object = ipPort(after.event, '198.51.100.1');
    assert.ok(Number(object?.timestamp) > Number(ipPort(before.event, '198.51.100.1')?.timestamp), 'the grown object is newer too');
    // Untouched items keep their timestamps.
    assert.equal(byValue(after.event, '198.51.100.2')?.timestamp, byValue(before.event, '198.51.100.2')?.timestamp);
    assert.deepEqual(ipPort(after.event, '198.51.100.2'), ipPort(before.event, '198.51.100.2'));
  });

  it('a new attribute whose last_seen is older than the pulled event moves the event and the manifest', async () => {
    const before = pulled();
    // Same second as the previous write (a second flush right after): the timestamps still grow.
    const delivery = await deliver(buildEventChanges(bucket(['198.51.100.99'], 8), ledger(), settings));
    assert.equal(delivery?.attributesAdded, 1);
    const after = pulled();
    assert.ok(after.manifest > before.manifest, `manifest timestamp did not move: ${before.manifest} -> ${after.manifest}`);
    assert.equal(after.manifest, before.manifest + 1);
    assert.equal(after.event.timestamp, String(after.manifest));
    const added = byValue(after.event, '198.51.100.99');
    assert.equal(added?.last_seen, '2025-03-14T08:00:00.000000+00:00');
    // The write time (MISP adds an attribute whose UUID it does not know whatever its timestamp; the event's moved).
    assert.equal(added?.timestamp, String(clock.now / 1000));
    for (const value of ['198.51.100.1', '198.51.100.2']) assert.equal(byValue(after.event, value)?.timestamp, byValue(before.event, value)?.timestamp);
  });

  it('nothing new: nothing moves', async () => {
    const before = snapshot(feedDir);
    clock.now += 600_000;
    const delivery = await deliver(buildEventChanges(bucket([], 0), { eventDelivered: true, item: () => undefined }, settings));
    assert.equal(delivery?.attributesAdded, 0);
    assert.deepEqual(snapshot(feedDir), before);
  });
});

describe('FeedSink: manifest.json is written once per delivery', () => {
  const none: Ledger = { eventDelivered: false, item: () => undefined };
  const days = ['2025-03-12', '2025-03-13', '2025-03-14'];
  const events = days.map((day, i) => buildEventChanges(bucket([`198.51.100.${i + 1}`], 10, day), none, settings));

  it('events written one apply at a time are listed when the delivery finishes, all in one write', async () => {
    const feedDir = join(dir, 'manifest-once');
    const sink = new FeedSink(feedDir, org, { now: () => Date.UTC(2025, 2, 16, 12) });
    await applyAll(sink, [events[0]!]);
    const before = readFileSync(join(feedDir, 'manifest.json'), 'utf8');
    for (const changes of events.slice(1)) await sink.apply([changes]);
    assert.ok(existsSync(join(feedDir, `${events[2]!.event.uuid}.json`)), 'the event files are written by apply');
    assert.equal(readFileSync(join(feedDir, 'manifest.json'), 'utf8'), before, 'the manifest waits for the end of the delivery');
    await sink.finishDelivery();
    assert.deepEqual(Object.keys(readManifest(feedDir)).sort(), events.map((e) => e.event.uuid).sort());
  });

  it('a delivery that failed midway: closing the sink still lists the event files it wrote', async () => {
    const feedDir = join(dir, 'manifest-on-close');
    const sink = new FeedSink(feedDir, org);
    await sink.apply([events[0]!]);
    await sink.apply([events[1]!]);
    assert.equal(existsSync(join(feedDir, 'manifest.json')), false);
    await sink.close();
    assert.deepEqual(Object.keys(readManifest(feedDir)).sort(), [events[0]!.event.uuid, events[1]!.event.uuid].sort());
  });
});

describe('FeedSink: a missing or damaged manifest.json is rebuilt from the event files', () => {
  const none: Ledger = { eventDelivered: false, item: () => undefined };
  const clock = { now: Date.UTC(2025, 2, 16, 12) };

  async function threeDays(feedDir: string, warnings: string[]) {
    const { sink } = feedWithLedger(feedDir, clock, warnings);
    const days = ['2025-03-12', '2025-03-13', '2025-03-14'];
    const events = days.map((day, i) => buildEventChanges(bucket([`198.51.100.${i + 1}`], 10, day), none, settings));
    for (const changes of events) {
      await applyAll(sink, [changes]);
      clock.now += 60_000;
    }
    return { sink, uuids: events.map((e) => e.event.uuid), manifest: readManifest(feedDir) };
  }

  for (const [name, damage] of [
    ['missing', (path: string) => rmSync(path)],
    ['truncated', (path: string) => writeFileSync(path, '{"trunc')],
    ['not an object', (path: string) => writeFileSync(path, 'null\n')],
  ] as const) {
    it(`${name}: the next run lists every event file again, untouched events with their own timestamps`, async () => {
      const feedDir = join(dir, `manifest-${name.replace(/ /g, '-')}`);
      const warnings: string[] = [];
      const { sink, uuids, manifest } = await threeDays(feedDir, warnings);
      damage(join(feedDir, 'manifest.json'));
      const today = buildEventChanges(bucket(['198.51.100.9'], 11, '2025-03-15'), none, settings);
      await applyAll(sink, [today]);
      const rebuilt = readManifest(feedDir);
      assert.deepEqual(Object.keys(rebuilt).sort(), [...uuids, today.event.uuid].sort());
      for (const uuid of uuids) assert.deepEqual(rebuilt[uuid], manifest[uuid], 'an untouched event is listed as before (no re-pull)');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /manifest\.json (was missing|was damaged).*rebuilt from the 3 event file/);
    });
  }

  it('a damaged event file is left out of the rebuilt manifest and named in a warning', async () => {
    const feedDir = join(dir, 'manifest-and-event-damaged');
    const warnings: string[] = [];
    const { sink, uuids } = await threeDays(feedDir, warnings);
    const [damaged, ...intact] = uuids as [string, ...string[]];
    writeFileSync(join(feedDir, `${damaged}.json`), '{"Event":{"uuid":');
    writeFileSync(join(feedDir, 'manifest.json'), '');
    writeFileSync(join(feedDir, 'notes.json'), '{}'); // not an event file: ignored
    await applyAll(sink, [buildEventChanges(bucket(['198.51.100.9'], 11, '2025-03-15'), none, settings)]);
    const rebuilt = readManifest(feedDir);
    for (const uuid of intact) assert.ok(rebuilt[uuid] !== undefined);
    assert.equal(rebuilt[damaged], undefined, 'a file MISP could not read is not offered');
    assert.equal(warnings.length, 2);
    assert.match(warnings[1] ?? '', new RegExp(`left out .*${damaged}\\.json`));
    assert.equal(readFileSync(join(feedDir, `${damaged}.json`), 'utf8'), '{"Event":{"uuid":', 'the damaged file is left as it is');
  });

  it('a fresh directory: no manifest, no warning', async () => {
    const feedDir = join(dir, 'manifest-fresh');
    const warnings: string[] = [];
    await threeDays(feedDir, warnings);
    assert.deepEqual(warnings, []);
    assert.equal(Object.keys(readManifest(feedDir)).length, 3);
  });
});

describe('FeedSink: a damaged event file', () => {
  it('stops the run with the recovery that loses nothing (a backup), not "move it away"', async () => {
    const feedDir = join(dir, 'event-damaged');
    const clock = { now: Date.UTC(2025, 2, 16, 12) };
    const { ledger, deliver } = feedWithLedger(feedDir, clock);
    const first = buildEventChanges(bucket(['198.51.100.1', '198.51.100.2'], 10), ledger(), settings);
    await deliver(first);
    const path = join(feedDir, `${first.event.uuid}.json`);
    for (const damaged of ['{"Event":{"uu', '{}\n', 'null\n', '{"Event":{"uuid":"someone-else"}}\n']) {
      writeFileSync(path, damaged);
      const manifest = readFileSync(join(feedDir, 'manifest.json'), 'utf8');
      await assert.rejects(deliver(buildEventChanges(bucket(['198.51.100.3'], 11), ledger(), settings)), (error: unknown) => {
        assert.ok(error instanceof Tpot2MispError);
        assert.equal(error.code, 'T2M_FEED_IO');
        assert.match(error.message, /is damaged/);
        assert.match(error.hint ?? '', /backup/);
        assert.match(error.hint ?? '', /loses its earlier items/);
        assert.doesNotMatch(error.hint ?? '', /writes the event again/);
        return true;
      });
      assert.equal(readFileSync(path, 'utf8'), damaged, 'nothing overwrites the damaged file');
      assert.equal(readFileSync(join(feedDir, 'manifest.json'), 'utf8'), manifest);
    }
    assert.ok(existsSync(path));
  });
});
