// An analyst curates today's event in MISP while attacks keep coming: turns IDS export off for a false positive (its
// attribute and the address in its login objects) and soft-deletes another attacker and one of its login objects. The
// next runs update counts and last seen, and must leave the analyst's to_ids and deletions as they are (MISP keeps the
// fields an edit leaves out).
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCliAsync as runCli } from '../support/cli.js';
import { cowrieLine } from '../support/cowrie-log.js';
import { mispE2e } from '../support/misp-e2e.js';

const e2e = mispE2e('tpot2misp-analyst-edits-');
const { work } = e2e;

const dataDir = join(work, 'data');
const cowrieLog = join(dataDir, 'cowrie', 'log', 'cowrie.json');
const FALSE_POSITIVE = '198.51.100.1';
const REMOVED = '198.51.100.2';
const UNTOUCHED = '198.51.100.3';

/** The login object of `ip` (Cowrie logs a failed login as its second line of a session here). */
function loginObject(ip: string) {
  const object = e2e.misp.events()[0]!.Object.find((o) => o.name === 'cowrie' && o.Attribute.some((a) => a.object_relation === 'src_ip' && a.value === ip));
  assert.ok(object, `a login object for ${ip}`);
  return object;
}

const attempt = (ip: string, time: string) => cowrieLine(ip, time) + cowrieLine(ip, time, { eventid: 'cowrie.login.failed', username: 'root', password: '123456' });

function sourceAttribute(ip: string) {
  const events = e2e.misp.events();
  assert.equal(events.length, 1, 'one daily event');
  const attribute = events[0]!.Attribute.find((a) => a.type === 'ip-src' && a.value === ip);
  assert.ok(attribute, `an ip-src attribute for ${ip}`);
  return attribute;
}

describe("an analyst's edits to today's event in MISP (files → MISP emulator)", () => {
  const args = ['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', join(work, 'state.db')];
  const env = () => ({ MISP_URL: e2e.misp.url, MISP_KEY: e2e.misp.apiKey, TPOT_HONEYPOTS: 'Cowrie', VALIDATION_REPORT_ENABLED: 'false' });

  it('keep their to_ids and soft deletion while later runs move counts forward', async () => {
    mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
    writeFileSync(cowrieLog, [FALSE_POSITIVE, REMOVED, UNTOUCHED].map((ip) => attempt(ip, '2025-03-14T10:00:00.000000Z')).join(''));
    const first = await runCli(args, env());
    assert.equal(first.status, 0, first.stderr);
    for (const ip of [FALSE_POSITIVE, REMOVED, UNTOUCHED]) assert.equal(sourceAttribute(ip).to_ids, true);

    // What the analyst's edits (MISP's UI, or PyMISP's update_attribute and delete_attribute) leave in MISP's database.
    sourceAttribute(FALSE_POSITIVE).to_ids = false;
    for (const a of loginObject(FALSE_POSITIVE).Attribute) if (a.object_relation === 'src_ip') a.to_ids = false;
    sourceAttribute(REMOVED).deleted = true;
    const removedLogin = loginObject(REMOVED);
    removedLogin.deleted = true;
    for (const a of removedLogin.Attribute) a.deleted = true;

    for (const [run, time] of ['2025-03-14T11:00:00.000000Z', '2025-03-14T12:00:00.000000Z'].entries()) {
      appendFileSync(cowrieLog, [FALSE_POSITIVE, REMOVED, UNTOUCHED].map((ip) => attempt(ip, time)).join(''));
      const next = await runCli(args, env());
      assert.equal(next.status, 0, next.stderr);
      // Two records per attacker and run (the connection and the login): two hits.
      const hits = `${2 * (run + 2)} hits`;
      const falsePositive = sourceAttribute(FALSE_POSITIVE);
      assert.match(falsePositive.comment, new RegExp(`^${hits}`), 'the count moved forward');
      assert.equal(falsePositive.last_seen, time.replace('Z', '+00:00'));
      assert.equal(falsePositive.to_ids, false, "the analyst's to_ids stays");
      assert.equal(falsePositive.deleted, false);
      const removed = sourceAttribute(REMOVED);
      assert.match(removed.comment, new RegExp(`^${hits}`));
      assert.equal(removed.deleted, true, "the analyst's soft deletion stays");
      assert.equal(removed.to_ids, true);
      const falsePositiveLogin = loginObject(FALSE_POSITIVE);
      assert.match(falsePositiveLogin.comment, new RegExp(`^${run + 2} attempts`));
      assert.equal(falsePositiveLogin.Attribute.find((a) => a.object_relation === 'src_ip')?.to_ids, false, "the analyst's to_ids in the object stays");
      const removedObject = loginObject(REMOVED);
      assert.match(removedObject.comment, new RegExp(`^${run + 2} attempts`));
      assert.equal(removedObject.deleted, true, "the analyst's soft deletion of the object stays");
      assert.ok(removedObject.Attribute.every((a) => a.deleted));
      assert.equal(loginObject(UNTOUCHED).Attribute.find((a) => a.object_relation === 'src_ip')?.to_ids, true);
      const untouched = sourceAttribute(UNTOUCHED);
      assert.match(untouched.comment, new RegExp(`^${hits}`));
      assert.deepEqual([untouched.to_ids, untouched.deleted], [true, false]);
    }
    assert.deepEqual(e2e.misp.specViolations, []);
    assert.deepEqual(e2e.misp.unreported, []);
  });
});
