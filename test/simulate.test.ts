// `tpot2misp simulate`: synthetic attacks written where T-Pot would put them, read back by the collector.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { isSkip } from '../src/attack-event.js';
import { allHoneypots, honeypotFor } from '../src/honeypots/registry.js';
import { cowrieSessionMessage, nativeRecord } from '../src/simulate/simulate.js';
import { generateTpotDocs, tpotDoc, type GenerateOptions } from '../src/simulate/synthetic-tpot.js';
import { HpfeedsClient } from '../src/sources/hpfeeds/client.js';
import { parsePayload } from '../src/sources/hpfeeds/payloads.js';
import { startEsEmulator } from './emulators/es-emulator.js';
import { runCliAsync as runCli } from './support/cli.js';
import { startBroker } from './support/hpfeeds-broker.js';
import { until } from './support/until.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-simulate-'));
after(() => rmSync(work, { recursive: true, force: true }));

const OPTIONS = { docs: 3_000, uniqueIps: 150, days: 2, seed: 5 };
// Ends an hour ago: batch mode reads up to now, and the days split the same way on every run of the test.
const END = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
/** What the CLI generates for OPTIONS. */
const generated = (): GenerateOptions => ({ ...OPTIONS, end: END.getTime() });
const FLAGS = ['--docs', String(OPTIONS.docs), '--unique-ips', String(OPTIONS.uniqueIps), '--days', String(OPTIONS.days), '--seed', String(OPTIONS.seed), '--end', END.toISOString()];

/** `<type>|<day>` → ip-src values, from a MISP feed directory. */
function feedContent(feedDir: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of readdirSync(feedDir).filter((f) => /^[0-9a-f-]{36}\.json$/.test(f))) {
    const { Event } = JSON.parse(readFileSync(join(feedDir, file), 'utf8')) as { Event: { info: string; date: string; Attribute: { type: string; value: string }[] } };
    const type = /^T-Pot (\S+) attacks/.exec(Event.info)![1]!;
    out.set(`${type}|${Event.date}`, new Set(Event.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value)));
  }
  return out;
}

/** Each event of a feed by UUID, its items in UUID order, without the times of the feed's own writes. */
function feedEvents(feedDir: string): Map<string, Record<string, unknown>> {
  const byUuid = (a: { uuid: string }, b: { uuid: string }) => (a.uuid < b.uuid ? -1 : 1);
  const out = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync(feedDir).filter((f) => /^[0-9a-f-]{36}\.json$/.test(f))) {
    const { Event } = JSON.parse(readFileSync(join(feedDir, file), 'utf8')) as { Event: Record<string, unknown> & { uuid: string; Attribute: { uuid: string }[]; Object?: { uuid: string }[] } };
    const { timestamp: _t, publish_timestamp: _p, ...rest } = Event;
    out.set(Event.uuid, { ...rest, Attribute: [...Event.Attribute].sort(byUuid), Object: [...(Event.Object ?? [])].sort(byUuid) });
  }
  return out;
}

/**
 * The one expected difference: Elasticsearch is not asked for Ciscoasa's raw `message` (ciscoasa.ts), and Logstash's
 * kv drops quotes and braces from the payload, so a requested path holding them (an injection) reads without them.
 */
function kvView(event: Record<string, unknown>): Record<string, unknown> {
  if (!String(event['info']).startsWith('T-Pot Ciscoasa ')) return event;
  const attributes = (event['Attribute'] as { type: string; value: string; comment: string }[]).map((a) =>
    a.type === 'uri' ? { type: a.type, value: a.value.replace(/['{}]/g, ''), comment: a.comment } : a,
  );
  return { ...event, Attribute: attributes.sort((a, b) => (a.type + a.value < b.type + b.value ? -1 : 1)) };
}

function sorted(map: Map<string, Set<string>>): [string, string[]][] {
  return [...map].map(([k, v]): [string, string[]] => [k, [...v].sort()]).sort(([a], [b]) => (a < b ? -1 : 1));
}

describe('tpot2misp simulate', () => {
  it('writes native records that the honeypot modules read back as the same attacks', () => {
    const options = { docs: 2_000, uniqueIps: 100, days: 1, seed: 9 };
    let checked = 0;
    const types = new Set<string>();
    for (let i = 0; i < options.docs; i++) {
      const generated = tpotDoc(options, i);
      const { doc } = generated;
      const native = generated.native?.record ?? nativeRecord(doc);
      if (native === undefined) continue;
      const module = honeypotFor(String(doc['type']))!;
      const fromNative = module.fromNative(native, generated.native?.path ?? module.logs[0]!.path);
      assert.ok(fromNative !== undefined, `${String(doc['type'])} record ${i} is kept by fromNative`);
      const viaFiles = module.normalize({ ...fromNative, type: module.type, 't-pot_ip_ext': doc['t-pot_ip_ext'], 't-pot_ip_int': doc['t-pot_ip_int'] });
      const viaEs = module.normalize(doc);
      if (isSkip(viaEs)) {
        assert.deepEqual(viaFiles, viaEs);
        continue;
      }
      assert.ok(!isSkip(viaFiles), JSON.stringify(viaFiles));
      const { origin: _o, ...esWithoutGeo } = viaEs;
      assert.deepEqual(viaFiles, esWithoutGeo, `record ${i} (${String(doc['type'])})`);
      checked++;
      types.add(module.type);
    }
    assert.ok(checked > 1_000, `${checked} attacks compared`);
    // Every honeypot type (and Suricata, a network sensor whose alerts are attacks).
    const expectedTypes = allHoneypots().filter((h) => h.role === 'honeypot').map((h) => h.type);
    assert.deepEqual([...types].sort(), [...expectedTypes, 'Suricata'].sort());
  });

  it('--to files: the files collector then puts exactly the simulated attackers into their events', async () => {
    const dataDir = join(work, 'data');
    const feedDir = join(work, 'feed-files');
    const simulated = await runCli(['simulate', '--to', 'files', '--data-dir', dataDir, ...FLAGS]);
    assert.equal(simulated.status, 0, simulated.stderr);
    assert.match(simulated.stdout, /records written → .*cowrie\/log\/cowrie\.json/);
    const run = await runCli(['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'feed', '--feed-dir', feedDir, '--state-db', join(work, 'files.db')], { VALIDATION_REPORT_ENABLED: 'false' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(sorted(feedContent(feedDir)), sorted(generateTpotDocs(generated()).expected));
  });

  it('--to elasticsearch: bulk-indexed into logstash-YYYY.MM.DD, then read back by batch mode', async () => {
    const es = await startEsEmulator({ nginx: { user: 'webuser', password: 'pw' } });
    const feedDir = join(work, 'feed-es');
    const env = { ELASTICSEARCH_URL: es.url, ELASTICSEARCH_USER: 'webuser', ELASTICSEARCH_PASSWORD: 'pw', VALIDATION_REPORT_ENABLED: 'false' };
    try {
      const simulated = await runCli(['simulate', '--to', 'elasticsearch', ...FLAGS], env);
      assert.equal(simulated.status, 0, simulated.stderr);
      assert.equal(es.requests.byEndpoint['POST /_bulk'], 3, 'one bulk request per 1,000 documents');
      const run = await runCli(['run', '--once', '--mode', 'batch', '--output', 'feed', '--feed-dir', feedDir, '--state-db', join(work, 'es.db'), '--since', new Date(END.getTime() - 3 * 86_400_000).toISOString()], env);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(sorted(feedContent(feedDir)), sorted(generateTpotDocs(generated()).expected));
    } finally {
      await es.close();
    }
  });

  it('the log files and Elasticsearch give the same MISP content, on every honeypot type (field filtering loses nothing)', () => {
    // The two runs above read the same simulated attacks, one from T-Pot's logs, one from its Elasticsearch.
    const fromFiles = feedEvents(join(work, 'feed-files'));
    const fromEs = feedEvents(join(work, 'feed-es'));
    assert.ok(fromFiles.size > 30, `${fromFiles.size} events`);
    assert.deepEqual([...fromEs.keys()].sort(), [...fromFiles.keys()].sort());
    for (const [uuid, event] of fromFiles) assert.deepEqual(kvView(fromEs.get(uuid)!), kvView(event), String(event['info']));
  });

  it('--to hpfeeds: one Cowrie session per simulated Cowrie document, published on the first channel', async () => {
    const channel = 'cowrie.sessions';
    const broker = await startBroker([
      { ident: 'simulator', secret: 'sim-secret', pubchans: [channel] },
      { ident: 'listener', secret: 'listen-secret', subchans: [channel] },
    ]);
    const received: string[] = [];
    const listener = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: 'listener', secret: 'listen-secret', channels: [channel], log: pino({ level: 'silent' }), onMessage: (m) => received.push(m.payload.toString('utf8')) });
    try {
      listener.start();
      await listener.waitConnected(30_000);
      const simulated = await runCli(['simulate', '--to', 'hpfeeds', ...FLAGS], { HPFEEDS_HOST: '127.0.0.1', HPFEEDS_PORT: String(broker.port), HPFEEDS_IDENT: 'simulator', HPFEEDS_SECRET: 'sim-secret', HPFEEDS_CHANNELS: channel });
      assert.equal(simulated.status, 0, simulated.stderr);
      const expected = Array.from({ length: OPTIONS.docs }, (_, i) => cowrieSessionMessage(tpotDoc(generated(), i).doc)).filter((m) => m !== undefined);
      await until(() => received.length >= expected.length, 20_000, 'every session received');
      assert.equal(received.length, expected.length);
      // Each one is a session the realtime collector understands.
      const results = received.map((payload) => parsePayload(Buffer.from(payload), Date.now()));
      assert.ok(results.every((r) => r.format === 'cowrie.sessions' && 'attacks' in r && r.attacks.length === 1), 'each is a Cowrie session with one attack');
    } finally {
      await listener.stop();
      await broker.stop();
    }
  });
});
