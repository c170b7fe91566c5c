// The report says how its run ended: a failed or stopped run's report.json/txt/html must not pass for a whole run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config.js';
import { Metrics } from '../../src/observability/metrics.js';
import { renderHtmlReport } from '../../src/report-html.js';
import { RunReport, type RunReportJson } from '../../src/report.js';
import { runBatch } from '../../src/run-once.js';
import { capturedLogger } from '../support/captured-log.js';
import { PROJECT_ROOT } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-outcome-'));
after(() => rmSync(work, { recursive: true, force: true }));

const newReport = () => new RunReport({ mode: 'files', output: 'feed', source: 'files:/data', sink: 'feed:/out' });

function filesConfig(name: string, env: Record<string, string> = {}): Config {
  const dir = join(work, name);
  return loadConfig({
    env: {
      COLLECTION_MODE: 'files', OUTPUT: 'feed', TPOT_DATA_DIR: join(PROJECT_ROOT, 'examples', 'tpot-data'), MISP_FEED_DIR: join(dir, 'feed'),
      STATE_DB: join(dir, 'state.db'), VALIDATION_REPORT_DIR: join(dir, 'report'), ...env,
    },
    envFile: join(work, 'absent.env'),
  }).config;
}

const written = (config: Config) => ({
  json: JSON.parse(readFileSync(join(config.report.dir, 'report.json'), 'utf8')) as RunReportJson,
  text: readFileSync(join(config.report.dir, 'report.txt'), 'utf8'),
  html: readFileSync(join(config.report.dir, 'report.html'), 'utf8'),
});

describe('the report\'s outcome', () => {
  it('is "completed" by default, in every format, with no banner', () => {
    const json = newReport().toJson();
    assert.equal(json.outcome, 'completed');
    assert.equal(json.failure, undefined);
    assert.match(newReport().toText(), /^outcome: completed$/m);
    assert.doesNotMatch(renderHtmlReport(json), /class="banner"/);
  });

  it('a failed run says FAILED with its code, message and hint: URL passwords masked, the text escaped in HTML', () => {
    const report = newReport();
    report.ended({
      outcome: 'failed',
      failure: { code: 'T2M_MISP_UNREACHABLE', message: 'cannot reach https://admin:Pa55-in-url@misp.example.org/events: <script>alert(1)</script>', hint: 'is MISP up?' },
    });
    const json = report.toJson();
    assert.equal(json.outcome, 'failed');
    assert.equal(json.failure?.code, 'T2M_MISP_UNREACHABLE');
    assert.equal(json.failure?.message, 'cannot reach https://admin:***@misp.example.org/events: <script>alert(1)</script>');
    assert.equal(json.failure?.hint, 'is MISP up?');
    const text = report.toText(json);
    assert.match(text, /^outcome: FAILED \(T2M_MISP_UNREACHABLE\): cannot reach https:\/\/admin:\*\*\*@misp\.example\.org\/events.* — hint: is MISP up\?\. This report covers only what was delivered before the failure/m);
    const html = renderHtmlReport(json);
    assert.match(html, /<div class="banner" role="alert"><strong>Run FAILED<\/strong> \(<code>T2M_MISP_UNREACHABLE<\/code>\)/);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the message is escaped');
    assert.doesNotMatch(html, /<script/);
    for (const out of [JSON.stringify(json), text, html]) assert.ok(!out.includes('Pa55-in-url'));
  });

  it('masks the password of a URL in free text even when the URL does not parse', () => {
    const report = newReport();
    report.ended({ outcome: 'failed', failure: { code: 'unexpected', message: 'bad url http://u:p%zz@host:9200/ here' } });
    assert.equal(report.toJson().failure?.message, 'bad url http://u:***@host:9200/ here');
  });

  it('a realtime report whose last flush failed says the messages wait in the outbox', () => {
    const report = new RunReport({ mode: 'realtime', output: 'misp', source: 'hpfeeds:broker:10000', sink: 'misp:https://misp.example.org' });
    report.ended({ outcome: 'failed', failure: { code: 'T2M_MISP_UNREACHABLE', message: 'cannot reach MISP' } });
    const json = report.toJson();
    assert.match(report.toText(json), /^outcome: FAILED .*wait in the outbox, and every flush tries again$/m);
    assert.match(renderHtmlReport(json), /<strong>Delivery FAILED<\/strong>.*wait in the outbox/s);
  });

  it('a stopped run says STOPPED in the text and the HTML banner', () => {
    const report = newReport();
    report.ended({ outcome: 'stopped' });
    const json = report.toJson();
    assert.equal(json.outcome, 'stopped');
    assert.match(report.toText(json), /^outcome: STOPPED by a signal/m);
    assert.match(renderHtmlReport(json), /<strong>Run STOPPED<\/strong>/);
  });
});

describe('runBatch writes the outcome into the report', () => {
  it('completed: the source was read to its end', async () => {
    const config = filesConfig('completed');
    const result = await runBatch(config, capturedLogger().log, {}, new Metrics());
    assert.equal(result.failed, undefined);
    const { json, text } = written(config);
    assert.equal(json.outcome, 'completed');
    assert.match(text, /^outcome: completed$/m);
  });

  it('stopped: a signal before the end', async () => {
    const config = filesConfig('stopped');
    const stop = new AbortController();
    stop.abort();
    const result = await runBatch(config, capturedLogger().log, {}, new Metrics(), { stop: stop.signal });
    assert.equal(result.stopped, true);
    const { json, html } = written(config);
    assert.equal(json.outcome, 'stopped');
    assert.match(html, /Run STOPPED/);
  });

  it('failed: MISP unreachable — code and message in every format, the URL password and the key masked', async () => {
    const key = 'OutcomeSecretKey0123456789abcdefghijklmn';
    const config = filesConfig('failed', { OUTPUT: 'misp', MISP_URL: 'http://analyst:url-Secret-99@127.0.0.1:9/', MISP_KEY: key, MISP_RETRIES: '0' });
    const result = await runBatch(config, capturedLogger('fatal').log, {}, new Metrics());
    assert.notEqual(result.failed, undefined);
    const { json, text, html } = written(config);
    assert.equal(json.outcome, 'failed');
    assert.equal(json.failure?.code, 'T2M_MISP_UNREACHABLE');
    assert.ok((json.failure?.message.length ?? 0) > 0);
    assert.match(text, /^outcome: FAILED \(T2M_MISP_UNREACHABLE\)/m);
    assert.match(html, /Run FAILED/);
    for (const out of [JSON.stringify(json), text, html]) {
      assert.ok(!out.includes('url-Secret-99'), 'no URL password');
      assert.ok(!out.includes(key), 'no MISP key');
    }
  });

  it('failed before reading: a missing data directory', async () => {
    const config = filesConfig('no-data', { TPOT_DATA_DIR: join(work, 'does-not-exist') });
    const result = await runBatch(config, capturedLogger('fatal').log, {}, new Metrics());
    assert.notEqual(result.failed, undefined);
    const { json } = written(config);
    assert.equal(json.outcome, 'failed');
    assert.equal(json.failure?.code, 'T2M_SOURCE_IO');
    assert.match(json.failure?.hint ?? '', /TPOT_DATA_DIR/);
  });
});
