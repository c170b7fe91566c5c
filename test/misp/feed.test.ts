import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DailyBucket } from '../../src/aggregate.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import type { AttackEvent } from '../../src/attack-event.js';
import { extractIndicators } from '../../src/indicators.js';
import { buildEventChanges, type DeliveredItem, type Ledger } from '../../src/misp/build.js';
import { FeedSink } from '../../src/misp/feed.js';

const dir = mkdtempSync(join(tmpdir(), 'tpot2misp-feed-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const settings = { uuidNamespace: '70423ab8-5c81-4fa9-ae8c-7415a7c21621', distribution: 0, threatLevel: 3, analysis: 2, tags: [] };
const org = { name: 'T-Pot', uuid: '3a5b8c1e-7f2d-4e6a-9b0c-1d2e3f4a5b6c' };

function bucket(ips: string[], hour: number): DailyBucket {
  const b = new DailyBucket('Dionaea', '2025-03-14');
  const policy = new AttackerIpPolicy();
  for (const srcIp of ips) {
    const event: AttackEvent = { honeypot: 'Dionaea', srcIp, time: Date.UTC(2025, 2, 14, hour), destPort: 445, transport: 'tcp', protocol: 'smbd' };
    const o = extractIndicators(event, policy);
    assert.ok(!('skip' in o));
    b.add(o, event.time);
  }
  return b;
}

function snapshot(path: string): Record<string, string> {
  return Object.fromEntries(readdirSync(path).sort().map((name) => [name, readFileSync(join(path, name), 'utf8')]));
}

describe('FeedSink', () => {
  const feedDir = join(dir, 'feed');
  const sink = new FeedSink(feedDir, org);
  const delivered = new Map<string, DeliveredItem>();
  const ledger = (): Ledger => ({ eventDelivered: delivered.size > 0, item: (uuid) => delivered.get(uuid) });

  it('writes manifest.json, <uuid>.json and hashes.csv in MISP feed format', async () => {
    const changes = buildEventChanges(bucket(['198.51.100.1', '198.51.100.2', '198.51.100.1'], 1), ledger(), settings);
    const [delivery] = await sink.apply([changes]);
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
    assert.equal(event.timestamp, String(Date.UTC(2025, 2, 14, 1) / 1000));
    assert.equal(entry.timestamp, event.timestamp);
    assert.equal(event.published, false);
    assert.equal(event.Attribute.length, 2);
    assert.equal(event.Attribute[0].distribution, undefined, 'feeds carry no distribution');
    const hashes = readFileSync(join(feedDir, 'hashes.csv'), 'utf8').trim().split('\n');
    const md5 = createHash('md5').update('198.51.100.1').digest('hex');
    assert.ok(hashes.includes(`${md5},${changes.event.uuid}`));
  });

  it('rewrites nothing when the same content arrives again (e.g. after the state file was lost)', async () => {
    const before = snapshot(feedDir);
    const mtimes = readdirSync(feedDir).map((f) => statSync(join(feedDir, f)).mtimeMs);
    const replay = buildEventChanges(bucket(['198.51.100.1', '198.51.100.2', '198.51.100.1'], 1), { eventDelivered: false, item: () => undefined }, settings);
    const [delivery] = await sink.apply([replay]);
    assert.equal(delivery?.eventCreated, false);
    assert.equal(delivery?.alreadyPresent, 4);
    assert.deepEqual(snapshot(feedDir), before);
    assert.deepEqual(readdirSync(feedDir).map((f) => statSync(join(feedDir, f)).mtimeMs), mtimes);
  });

  it('merges later data into the same event: new attributes added, grown ones updated, none duplicated', async () => {
    const changes = buildEventChanges(bucket(['198.51.100.2', '198.51.100.3'], 5), ledger(), settings);
    const [delivery] = await sink.apply([changes]);
    assert.equal(delivery?.attributesAdded, 1);
    assert.equal(delivery?.attributesUpdated, 1);
    const event = JSON.parse(readFileSync(join(feedDir, `${changes.event.uuid}.json`), 'utf8')).Event;
    assert.deepEqual(event.Attribute.map((a: { value: string }) => a.value), ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    const two = event.Attribute.find((a: { value: string }) => a.value === '198.51.100.2');
    assert.equal(two.comment, '2 hits; ports 445/tcp; protocols smbd');
    assert.equal(event.timestamp, String(Date.UTC(2025, 2, 14, 5) / 1000));
  });
});
