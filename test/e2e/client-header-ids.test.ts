// An address once seen as the TCP peer stays for IDS export in its day's event, even when a later run (a later
// delivery) sees it only in a request header the client wrote: runs of the CLI on a growing H0neytr4p log (it logs
// the header, so the same address comes both ways), into a feed and into MISP (emulated), each run resuming after the
// previous one.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startMispEmulator, type MispEmulator } from '../emulators/misp-emulator.js';
import { runCliAsync } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-e2e-header-ids-'));
after(() => rmSync(work, { recursive: true, force: true }));

const HEADER_COMMENT = /X-Forwarded-For header/;

/** One H0neytr4p request from `ip`: the TCP peer, or (`header`) the value of the client's X-Forwarded-For. */
function request(ip: string, second: number, header: boolean): string {
  return JSON.stringify({
    timestamp: `2025-03-14T12:00:${String(second).padStart(2, '0')}.000Z`,
    src_ip: ip,
    src_port: 50100 + second,
    dest_port: 443,
    protocol: 'https',
    request_method: 'GET',
    request_uri: '/.env',
    hostname: '203.0.113.10',
    'header_user-agent': 'Mozilla/5.0 l9explore/1.2.2',
    ...(header && { 'header_x-forwarded-for': ip }),
  });
}

interface Case {
  readonly name: string;
  /** The log lines of each run, appended before it. */
  readonly runs: readonly (readonly string[])[];
  /** Rewrites the ledger between runs (a state file written by an older version). */
  readonly between?: (stateDb: string) => void;
}

const PEER_THEN_HEADER = '198.51.100.23';
const HEADER_ONLY = '198.51.100.24';
const OLD_ROW = '198.51.100.25';
const HEADER_THEN_PEER = '198.51.100.26';

const cases: readonly Case[] = [
  { name: 'peer then header', runs: [[request(PEER_THEN_HEADER, 1, false)], [request(PEER_THEN_HEADER, 2, true)], [request(PEER_THEN_HEADER, 3, true)]] },
  { name: 'header only', runs: [[request(HEADER_ONLY, 1, true)], [request(HEADER_ONLY, 2, true)]] },
  { name: 'header then peer', runs: [[request(HEADER_THEN_PEER, 1, true)], [request(HEADER_THEN_PEER, 2, false)], [request(HEADER_THEN_PEER, 3, true)]] },
  {
    name: 'peer then header, delivered by a version that did not record the peer sighting',
    runs: [[request(OLD_ROW, 1, false)], [request(OLD_ROW, 2, true)]],
    // Such a version wrote the tally without `ids`.
    between: (stateDb) => {
      const db = new Database(stateDb);
      try {
        const rows = db.prepare('SELECT sink, uuid, tally FROM delivered_item').all() as { sink: string; uuid: string; tally: string }[];
        let changed = 0;
        for (const row of rows) {
          const { ids, ...older } = JSON.parse(row.tally) as { ids?: boolean };
          if (ids === undefined) continue;
          db.prepare('UPDATE delivered_item SET tally = ? WHERE sink = ? AND uuid = ?').run(JSON.stringify(older), row.sink, row.uuid);
          changed++;
        }
        assert.ok(changed > 0, 'the ledger records the peer sighting');
      } finally {
        db.close();
      }
    },
  },
];

interface Attribute { type: string; value: string; to_ids: boolean; comment: string }

function feedSource(dir: string): (ip: string) => Attribute | undefined {
  const files = readdirSync(dir).filter((name) => /^[0-9a-f-]{36}\.json$/.test(name));
  assert.equal(files.length, 1, 'one daily event');
  const event = (JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as { Event: { Attribute: Attribute[] } }).Event;
  return (ip) => event.Attribute.find((a) => a.type === 'ip-src' && a.value === ip);
}

function mispSource(misp: MispEmulator): (ip: string) => Attribute | undefined {
  const events = misp.events();
  assert.equal(events.length, 1, 'one daily event');
  // A copy: the emulator edits what it holds in place.
  return (ip) => structuredClone((events[0]!.Attribute as Attribute[]).find((a) => a.type === 'ip-src' && a.value === ip));
}

for (const output of ['feed', 'misp'] as const) {
  describe(`a source address seen as the TCP peer, then only through a client-written header (files → ${output})`, () => {
    for (const [n, c] of cases.entries()) {
      it(c.name, async (t) => {
        const dir = join(work, `${output}-${n}`);
        const dataDir = join(dir, 'data');
        const log = join(dataDir, 'h0neytr4p', 'log', 'log.json');
        const stateDb = join(dir, 'state.db');
        const feedDir = join(dir, 'feed');
        mkdirSync(join(dataDir, 'h0neytr4p', 'log'), { recursive: true });
        writeFileSync(log, '');
        // A MISP of its own: each case has its own state file.
        const misp = output === 'misp' ? await startMispEmulator() : undefined;
        t.after(() => misp?.close());
        const args = ['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--state-db', stateDb, ...(output === 'feed' ? ['--output', 'feed', '--feed-dir', feedDir] : ['--output', 'misp'])];
        const env = { VALIDATION_REPORT_ENABLED: 'false', TPOT_HONEYPOTS: 'H0neytr4p', ...(misp !== undefined && { MISP_URL: misp.url, MISP_KEY: misp.apiKey }) };
        const attributes: (Attribute | undefined)[] = [];
        for (const [i, lines] of c.runs.entries()) {
          if (i > 0) c.between?.(stateDb);
          writeFileSync(log, `${lines.join('\n')}\n`, { flag: 'a' });
          const result = await runCliAsync(args, env);
          assert.equal(result.status, 0, `run ${i + 1} failed:\n${result.stderr}\n${result.stdout}`);
          const ip = JSON.parse(lines[0]!).src_ip as string;
          attributes.push((misp === undefined ? feedSource(feedDir) : mispSource(misp))(ip));
        }
        if (misp !== undefined) {
          assert.deepEqual(misp.specViolations, []);
          assert.deepEqual(misp.unreported, []);
        }
        const counts = attributes.map((a) => a?.comment.match(/(\d+) hits?/)?.[1]);
        assert.deepEqual(counts, c.runs.map((_, i) => String(i + 1)), 'every run delivered its sighting');
        const last = attributes.at(-1)!;
        if (c.name === 'header only') {
          for (const a of attributes) {
            assert.equal(a?.to_ids, false);
            assert.match(a?.comment ?? '', HEADER_COMMENT);
          }
        } else if (c.name === 'header then peer') {
          // The first IDS-worthy sighting turns IDS export on (an edit that moves to_ids sends it), and it stays on.
          assert.deepEqual(attributes.map((a) => a?.to_ids), [false, true, true]);
          assert.match(attributes[0]?.comment ?? '', HEADER_COMMENT);
          assert.doesNotMatch(last.comment, HEADER_COMMENT);
        } else if (c.between !== undefined) {
          // Without the record, the ledger cannot tell: as before, the header sighting turns IDS export off.
          assert.equal(attributes[0]?.to_ids, true);
          assert.equal(last.to_ids, false);
          assert.match(last.comment, HEADER_COMMENT);
        } else {
          for (const a of attributes) {
            assert.equal(a?.to_ids, true, JSON.stringify(a));
            assert.doesNotMatch(a?.comment ?? '', HEADER_COMMENT);
          }
        }
      });
    }
  });
}
