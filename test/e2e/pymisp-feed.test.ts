import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT, runCli } from '../support/cli.js';
import { checkFeedWithPyMisp } from '../support/pymisp.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-pymisp-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('PyMISP, the official MISP library, accepts the feed', () => {
  const feedDir = join(work, 'feed');

  it('loads every event and rebuilds every object strictly from its own templates', () => {
    const result = runCli(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'feed', '--feed-dir', feedDir, '--state-db', join(work, 'state.db')], {
      VALIDATION_REPORT_DIR: join(work, 'report'),
    });
    assert.equal(result.status, 0, result.stderr);
    const verdict = checkFeedWithPyMisp(feedDir);
    assert.deepEqual(verdict.problems, []);
    assert.ok(verdict.ok);
    const eventFiles = readdirSync(feedDir).filter((name) => /^[0-9a-f-]{36}\.json$/.test(name));
    assert.equal(verdict.events, eventFiles.length);
    assert.ok(verdict.objects >= 20, `objects of several templates were checked (${verdict.objects})`);
    assert.ok(verdict.attributes >= 100);
  });

  it('is a real check: it rejects a wrong category, an unknown relation and a missing required attribute', () => {
    const broken = join(work, 'broken');
    cpSync(feedDir, broken, { recursive: true });
    const file = readdirSync(broken).find((name) => {
      if (!/^[0-9a-f-]{36}\.json$/.test(name)) return false;
      const event = (JSON.parse(readFileSync(join(broken, name), 'utf8')) as { Event: { Object?: unknown[] } }).Event;
      return (event.Object?.length ?? 0) >= 2;
    });
    assert.ok(file, 'an event with two objects');
    type Attr = { category: string; object_relation?: string };
    const data = JSON.parse(readFileSync(join(broken, file), 'utf8')) as { Event: { Attribute: Attr[]; Object: { Attribute: Attr[] }[] } };
    data.Event.Attribute[0]!.category = 'Antivirus detection';
    data.Event.Object[0]!.Attribute[0]!.object_relation = 'no-such-relation';
    data.Event.Object[1]!.Attribute = [];
    writeFileSync(join(broken, file), JSON.stringify(data));
    const verdict = checkFeedWithPyMisp(broken);
    assert.equal(verdict.ok, false);
    assert.equal(verdict.problems.length, 3, verdict.problems.join('\n'));
  });
});
