import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import type { Doc } from '../../src/honeypots/fields.js';
import type { Honeypot } from '../../src/honeypots/honeypot.js';
import { createFilesSource } from '../../src/sources/files.js';
import { readSensorEnvironment } from '../../src/sources/sensor-environment.js';
import type { JsonValue, SourceRecord } from '../../src/sources/source.js';

const root = mkdtempSync(join(tmpdir(), 'tpot2misp-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

function fake(type: 'Cowrie' | 'Heralding' | 'Endlessh' | 'ConPot', path: string, format: 'json' | 'csv' | 'text'): Honeypot {
  return {
    type, role: 'honeypot', interaction: 'low', logs: [{ path, format }], fields: [],
    fromNative: (record: Doc) => (record['drop'] === true ? undefined : { ...record }),
    normalize: () => ({ skip: 'malformed' }),
  };
}

/** Reads like the pipeline; `stopAfterBatches` ends early, as SIGTERM or a failed later flush does after a commit. */
async function readAll(dataDir: string, honeypots: Honeypot[], resume?: JsonValue, maxLineBytes?: number, stopAfterBatches?: number): Promise<{ records: SourceRecord[]; cursor: JsonValue | undefined }> {
  const source = createFilesSource({ dataDir, honeypots, batchSize: 3, sensor: { extIp: '203.0.113.10', intIp: '10.20.0.5' }, ...(maxLineBytes && { maxLineBytes }) });
  const records: SourceRecord[] = [];
  let cursor: JsonValue | undefined;
  let batches = 0;
  for await (const batch of source.batches(resume)) {
    records.push(...batch.records);
    cursor = batch.cursor;
    if (++batches === stopAfterBatches) break;
  }
  await source.close();
  return { records, cursor };
}

const ids = (records: SourceRecord[]) => records.map((r) => ('doc' in r ? String(r.doc['n'] ?? r.doc['message'] ?? r.doc['username']) : 'skip' in r ? `skip:${r.skip}` : 'attack'));
const line = (n: number) => `${JSON.stringify({ n })}\n`;

describe('files source', () => {
  const dataDir = join(root, 'data');
  const logDir = join(dataDir, 'cowrie', 'log');
  mkdirSync(logDir, { recursive: true });
  const live = join(logDir, 'cowrie.json');
  const cowrie = fake('Cowrie', 'cowrie/log/cowrie.json', 'json');
  let cursor: JsonValue | undefined;

  it('reads every line on the first run, stamping the fields Logstash adds', async () => {
    writeFileSync(live, line(1) + line(2) + line(3) + line(4));
    const result = await readAll(dataDir, [cowrie]);
    assert.deepEqual(ids(result.records), ['1', '2', '3', '4']);
    const first = result.records[0];
    assert.ok(first && 'doc' in first);
    assert.equal(first.doc['type'], 'Cowrie');
    assert.equal(first.doc['path'], '/data/cowrie/log/cowrie.json');
    assert.equal(first.doc['t-pot_ip_ext'], '203.0.113.10');
    cursor = result.cursor;
  });

  it('reads nothing again, then only appended lines, and a partial last line only once complete', async () => {
    assert.deepEqual(ids((await readAll(dataDir, [cowrie], cursor)).records), []);
    appendFileSync(live, line(5) + '{"n": 6');
    const next = await readAll(dataDir, [cowrie], cursor);
    assert.deepEqual(ids(next.records), ['5']);
    appendFileSync(live, '}\n');
    const completed = await readAll(dataDir, [cowrie], next.cursor);
    assert.deepEqual(ids(completed.records), ['6']);
    cursor = completed.cursor;
  });

  it('follows rotation by rename: finishes the old file, then reads the new one from the start', async () => {
    appendFileSync(live, line(7));
    renameSync(live, `${live}.1`);
    writeFileSync(live, line(8));
    const result = await readAll(dataDir, [cowrie], cursor);
    assert.deepEqual(ids(result.records), ['7', '8']);
    cursor = result.cursor;
  });

  it('finds the old file even after it was gzip-compressed', async () => {
    appendFileSync(live, line(9));
    const rotatedText = line(8) + line(9);
    rmSync(`${live}.1`);
    writeFileSync(`${live}.1.gz`, gzipSync(rotatedText));
    rmSync(live);
    writeFileSync(live, line(10));
    const result = await readAll(dataDir, [cowrie], cursor);
    assert.deepEqual(ids(result.records), ['9', '10']);
    cursor = result.cursor;
  });

  it('starts over when the file was truncated in place', async () => {
    truncateSync(live, 0);
    writeFileSync(live, line(11));
    const result = await readAll(dataDir, [cowrie], cursor);
    assert.deepEqual(ids(result.records), ['11']);
  });

  it('counts garbage and oversized lines as skips and keeps reading their neighbours', async () => {
    const dir = join(root, 'garbage');
    mkdirSync(join(dir, 'cowrie', 'log'), { recursive: true });
    const huge = `{"n": "${'x'.repeat(3 * 1024 * 1024)}"}\n`;
    writeFileSync(join(dir, 'cowrie', 'log', 'cowrie.json'), `${line(1)}not json\n[1,2]\n${huge}\u00ff\u00fe${line(2)}${JSON.stringify({ drop: true })}\n${line(3)}`);
    const result = await readAll(dir, [cowrie], undefined, 1024 * 1024);
    assert.deepEqual(ids(result.records), ['1', 'skip:malformed', 'skip:malformed', 'skip:document_too_large', 'skip:malformed', 'skip:not_an_attack', '3']);
  });

  it('reads a first run\'s rotated siblings too, oldest first', async () => {
    const dir = join(root, 'history');
    const log = join(dir, 'cowrie', 'log');
    mkdirSync(log, { recursive: true });
    writeFileSync(join(log, 'cowrie.json.2.gz'), gzipSync(line(1)));
    writeFileSync(join(log, 'cowrie.json.1'), line(2));
    writeFileSync(join(log, 'cowrie.json'), line(3));
    const { utimesSync } = await import('node:fs');
    utimesSync(join(log, 'cowrie.json.2.gz'), new Date(1000), new Date(1000));
    utimesSync(join(log, 'cowrie.json.1'), new Date(2000), new Date(2000));
    assert.deepEqual(ids((await readAll(dir, [cowrie])).records), ['1', '2', '3']);
  });

  /** A fresh Cowrie log directory; `age` sets a file's modification time that many seconds ago. */
  const logDirectory = (name: string) => {
    const dir = join(root, name);
    mkdirSync(join(dir, 'cowrie', 'log'), { recursive: true });
    const path = join(dir, 'cowrie', 'log', 'cowrie.json');
    const age = (file: string, seconds: number) => utimesSync(file, new Date(Date.now() - seconds * 1000), new Date(Date.now() - seconds * 1000));
    return { dir, path, age };
  };

  it('reads every file of several rotations between two runs, in order', async () => {
    const { dir, path, age } = logDirectory('rotated-twice');
    writeFileSync(path, line(1));
    const first = await readAll(dir, [cowrie]);
    appendFileSync(path, line(2));
    renameSync(path, `${path}.1`);
    writeFileSync(path, line(3));
    // The next day logrotate shifts .1 to .2 (and compresses it) and rotates again.
    writeFileSync(`${path}.2.gz`, gzipSync(line(1) + line(2)));
    rmSync(`${path}.1`);
    age(`${path}.2.gz`, 200);
    renameSync(path, `${path}.1`);
    age(`${path}.1`, 100);
    writeFileSync(path, line(4));
    assert.deepEqual(ids((await readAll(dir, [cowrie], first.cursor)).records), ['2', '3', '4']);
  });

  it('follows a log its program rotates itself with lumberjack (Glutton: glutton-<time>.log, then .gz)', async () => {
    const dir = join(root, 'lumberjack');
    const path = join(dir, 'glutton', 'log', 'glutton.log');
    mkdirSync(join(dir, 'glutton', 'log'), { recursive: true });
    const glutton = fake('Cowrie', 'glutton/log/glutton.log', 'json');
    writeFileSync(path, line(1));
    const first = await readAll(dir, [glutton]);
    appendFileSync(path, line(2));
    writeFileSync(join(dir, 'glutton', 'log', 'glutton-2025-03-14T17-00-00.000.log.gz'), gzipSync(line(1) + line(2)));
    rmSync(path);
    writeFileSync(path, line(3));
    assert.deepEqual(ids((await readAll(dir, [glutton], first.cursor)).records), ['2', '3']);
  });

  it('a first run stopped while reading rotated copies goes on from there, then reads the newer ones', async () => {
    const { dir, path, age } = logDirectory('interrupted-history');
    writeFileSync(`${path}.2`, line(1) + line(2) + line(3) + line(4));
    writeFileSync(`${path}.1`, line(5) + line(6));
    writeFileSync(path, line(7));
    age(`${path}.2`, 200);
    age(`${path}.1`, 100);
    const first = await readAll(dir, [cowrie], undefined, undefined, 1);
    assert.deepEqual(ids(first.records), ['1', '2', '3']);
    assert.deepEqual(ids((await readAll(dir, [cowrie], first.cursor)).records), ['4', '5', '6', '7']);
  });

  it('finds a large compressed predecessor from its first bytes', async () => {
    const { dir, path } = logDirectory('large-gzip');
    // Little-compressible lines, so that the compressed file is far larger than what its fingerprint inflates.
    const lines = Array.from({ length: 20_000 }, (_, n) => `${JSON.stringify({ n, pad: createHash('sha256').update(String(n)).digest('hex') })}\n`);
    writeFileSync(path, lines.slice(0, 10_000).join(''));
    const first = await readAll(dir, [cowrie]);
    const compressed = gzipSync(lines.join(''));
    assert.ok(compressed.length > 200_000);
    writeFileSync(`${path}.1.gz`, compressed);
    rmSync(path);
    writeFileSync(path, line(-1));
    const next = ids((await readAll(dir, [cowrie], first.cursor)).records);
    assert.equal(next.length, 10_001);
    assert.deepEqual([next[0], next.at(-2), next.at(-1)], ['10000', '19999', '-1']);
  });

  it('a CSV record still being written (open quoted newline) is read whole by the next run, and what follows it', async () => {
    const dir = join(root, 'csv-pending');
    mkdirSync(join(dir, 'heralding', 'log'), { recursive: true });
    const auth = join(dir, 'heralding', 'log', 'auth.csv');
    const heralding = fake('Heralding', 'heralding/log/auth.csv', 'csv');
    writeFileSync(auth, 'username,password\nalice,x\nbob,"first\n');
    const first = await readAll(dir, [heralding]);
    assert.deepEqual(ids(first.records), ['alice']);
    appendFileSync(auth, 'second"\ncarol,y\n');
    const next = await readAll(dir, [heralding], first.cursor);
    assert.deepEqual(ids(next.records), ['bob', 'carol']);
    const bob = next.records[0];
    assert.ok(bob !== undefined && 'doc' in bob);
    assert.equal(bob.doc['password'], 'first\nsecond');
  });

  it('parses CSV with a header, doubled quotes and quoted newlines; text lines as messages; * paths', async () => {
    const dir = join(root, 'formats');
    mkdirSync(join(dir, 'heralding', 'log'), { recursive: true });
    mkdirSync(join(dir, 'endlessh', 'log'), { recursive: true });
    mkdirSync(join(dir, 'conpot', 'log'), { recursive: true });
    writeFileSync(join(dir, 'heralding', 'log', 'auth.csv'), 'timestamp,username,password\n2025-03-14 05:00:01,root,"p@ss""word"\n2025-03-14 05:00:02,"multi\nline",x\n');
    writeFileSync(join(dir, 'endlessh', 'log', 'endlessh.log'), 'first line\r\nsecond line\n');
    writeFileSync(join(dir, 'conpot', 'log', 'conpot_IEC104.json'), line(1));
    writeFileSync(join(dir, 'conpot', 'log', 'conpot_ipmi.json'), line(2));
    const { records } = await readAll(dir, [fake('Heralding', 'heralding/log/auth.csv', 'csv'), fake('Endlessh', 'endlessh/log/endlessh.log', 'text'), fake('ConPot', 'conpot/log/conpot_*.json', 'json')]);
    const docs = records.map((r) => ('doc' in r ? r.doc : undefined));
    assert.equal(docs[0]?.['password'], 'p@ss"word');
    assert.equal(docs[1]?.['username'], 'multi\nline');
    assert.deepEqual(ids(records).slice(2), ['first line', 'second line', '1', '2']);
  });

  it('reads 100,000 lines', async () => {
    const dir = join(root, 'many');
    mkdirSync(join(dir, 'cowrie', 'log'), { recursive: true });
    writeFileSync(join(dir, 'cowrie', 'log', 'cowrie.json'), Array.from({ length: 100_000 }, (_, i) => line(i)).join(''));
    const source = createFilesSource({ dataDir: dir, honeypots: [cowrie] });
    let count = 0;
    for await (const batch of source.batches(undefined)) count += batch.records.length;
    assert.equal(count, 100_000);
  });
});

describe('readSensorEnvironment', () => {
  it('reads MY_EXTIP, MY_INTIP and MY_HOSTNAME from elk_environment, and tolerates its absence', () => {
    const dir = join(root, 'env');
    mkdirSync(join(dir, 'tpot', 'etc', 'compose'), { recursive: true });
    writeFileSync(join(dir, 'tpot', 'etc', 'compose', 'elk_environment'), 'MY_EXTIP=203.0.113.10\nexport MY_INTIP="10.20.0.5"\nMY_HOSTNAME=hive\n');
    assert.deepEqual(readSensorEnvironment(dir), { extIp: '203.0.113.10', intIp: '10.20.0.5', hostname: 'hive' });
    assert.deepEqual(readSensorEnvironment(join(root, 'nowhere')), {});
  });
});
