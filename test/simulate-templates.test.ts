import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { honeypotFor } from '../src/honeypots/registry.js';
import { instantiate, loadTemplates, nativeLine } from '../src/simulate/templates.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-templates-'));
after(() => rmSync(work, { recursive: true, force: true }));

function sampleDir(files: Record<string, string[]>): string {
  const dir = mkdtempSync(join(work, 'sample-'));
  for (const [path, lines] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), lines.map((l) => `${l}\n`).join(''));
  }
  return dir;
}

const ADBHONEY = {
  eventid: 'adbhoney.session.connect',
  timestamp: '2025-03-14T08:01:02.103000',
  unixtime: 1741939262.103,
  session: '5b2f0c7d1e3a',
  message: 'New connection: 203.0.113.7:39012 (172.19.0.2:5555); earlier 203.0.113.77',
  src_ip: '203.0.113.7',
  src_port: 39012,
  dest_ip: '172.19.0.2',
  dest_port: 5555,
};

describe('attack templates from the bundled sample', () => {
  it('re-issues a sample line with another attacker address and time, the honeypot reading back exactly those', () => {
    const adbhoney = honeypotFor('Adbhoney')!;
    const dir = sampleDir({ [adbhoney.logs[0]!.path]: [JSON.stringify(ADBHONEY)] });
    const [template] = loadTemplates([adbhoney], dir);
    assert.ok(template);
    const time = Date.parse('2025-07-01T23:59:58Z');
    const record = instantiate(template, '198.51.100.9', time);
    // The address as a whole token (with a port too), never inside a longer one.
    assert.equal(record['src_ip'], '198.51.100.9');
    assert.equal(record['message'], 'New connection: 198.51.100.9:39012 (172.19.0.2:5555); earlier 203.0.113.77');
    // Times keep their spelling; fractions of a second become zeros, epoch numbers follow.
    assert.equal(record['timestamp'], '2025-07-01T23:59:58.000000');
    assert.equal(record['unixtime'], time / 1000);
    const attack = adbhoney.normalize({ ...adbhoney.fromNative(record, template.path)!, type: 'Adbhoney' });
    assert.ok(!('skip' in attack));
    assert.equal(attack.srcIp, '198.51.100.9');
    assert.equal(attack.time, time);
  });

  it("keeps only lines that are attacks; a CSV log's row is re-issued in its header's order, quoted where needed", () => {
    const adbhoney = honeypotFor('Adbhoney')!;
    const heralding = honeypotFor('Heralding')!;
    const dir = sampleDir({
      [adbhoney.logs[0]!.path]: ['{"eventid":"adbhoney.session.connect","timestamp":"2025-03-14T08:01:02"}', 'not json', '', JSON.stringify(ADBHONEY)],
      [heralding.logs[0]!.path]: [
        'timestamp,auth_id,session_id,source_ip,source_port,destination_ip,destination_port,protocol,username,password',
        '2025-03-14 08:00:00.000000,a,b,203.0.113.7,4000,172.20.0.2,21,ftp,root,"pass,""word"""',
      ],
    });
    const templates = loadTemplates([adbhoney, heralding], dir);
    assert.deepEqual(templates.map((t) => [t.honeypot.type, t.srcIp]), [['Adbhoney', '203.0.113.7'], ['Heralding', '203.0.113.7']]);
    const csv = templates[1]!;
    const row = nativeLine(instantiate(csv, '192.0.2.9', Date.parse('2025-04-01T00:00:09Z')), csv.format, csv.header);
    assert.equal(row, '2025-04-01 00:00:09.000000,a,b,192.0.2.9,4000,172.20.0.2,21,ftp,root,"pass,""word"""');
  });

  it('gives none, without failing, for a sample that lacks a log or is missing altogether (a copy without examples/)', () => {
    const adbhoney = honeypotFor('Adbhoney')!;
    const heralding = honeypotFor('Heralding')!;
    const onlyAdbhoney = sampleDir({ [adbhoney.logs[0]!.path]: [JSON.stringify(ADBHONEY)] });
    assert.deepEqual(loadTemplates([adbhoney, heralding], onlyAdbhoney).map((t) => t.honeypot.type), ['Adbhoney']);
    assert.deepEqual(loadTemplates([adbhoney, heralding], join(work, 'no-such-sample')), []);
  });
});
