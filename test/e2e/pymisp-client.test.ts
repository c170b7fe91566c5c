// PyMISP, the official MISP client, against the MISP emulator of `npm run bench:serve`: connect, create an event,
// add attributes, search. What PyMISP reports is then checked against the emulator itself, over plain HTTP.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, runCliAsync } from '../support/cli.js';
import { venvPython } from '../support/pymisp.js';

const CLIENT = fileURLToPath(new URL('../support/pymisp_client.py', import.meta.url));
const AUTH_FAILED = /Authentication failed\. Please make sure you pass the API key of an API enabled user along in the Authorization header\./;

interface ServeInfo {
  elasticsearch: { url: string };
  misp: { url: string; key: string };
  enrichment: Record<string, string>;
  docs: number;
}
interface ServeStats {
  misp_events: number;
  misp_attributes: number;
  misp_objects: number;
  misp_spec_violations: number;
  misp_requests: number;
  enrichment_requests: Record<string, number>;
}
interface ClientAttribute {
  id: string;
  uuid: string;
  type: string;
  category: string;
  value: string;
  event_id: string;
}
interface ClientSummary {
  ok: boolean;
  error?: string;
  version: string;
  recommended_pymisp_version: string;
  user: string;
  event: { id: string; uuid: string; info: string; tags: string[] };
  attributes: ClientAttribute[];
  event_search: { id: string; uuid: string; attribute_values: string[] }[];
  attribute_search: { type: string; value: string; event_id: string }[];
  fetched_attribute_count: number;
}
interface RestEvent {
  id: string;
  uuid: string;
  info: string;
  distribution: string;
  threat_level_id: string;
  analysis: string;
  published: boolean;
  Tag: { name: string }[];
  Attribute: { type: string; category: string; value: string; to_ids: boolean; comment: string }[];
}

/** `bench/serve.ts` as a child process, read line by line. */
class Serve {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = '';

  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', 'bench/serve.ts', '--docs', '200', '--unique-ips', '50', '--misp-port', '0', '--es-port', '0'], { cwd: PROJECT_ROOT });
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString('utf8')));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter !== undefined) waiter(line);
      else this.#lines.push(line);
    });
  }

  nextLine(timeoutMs = 60_000): Promise<string> {
    const ready = this.#lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench/serve.ts printed nothing within ${timeoutMs} ms; stderr:\n${this.#stderr}`)), timeoutMs);
      this.#waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  async stats(): Promise<ServeStats> {
    this.#child.stdin.write('stats\n');
    return JSON.parse(await this.nextLine()) as ServeStats;
  }

  async quit(): Promise<number | null> {
    if (this.#child.exitCode !== null) return this.#child.exitCode;
    const exited = once(this.#child, 'exit');
    this.#child.stdin.write('quit\n');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    return code;
  }
}

function runClient(url: string, key: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(venvPython(), [CLIENT, url, key], { cwd: PROJECT_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function lastJsonLine(stdout: string): ClientSummary {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(line.startsWith('{'), `the client printed a JSON line, got: ${stdout}`);
  return JSON.parse(line) as ClientSummary;
}

let serve: Serve;
let info: ServeInfo;

async function restSearch(filter: Record<string, unknown>, key = info.misp.key): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${info.misp.url}/events/restSearch`, {
    method: 'POST',
    headers: { authorization: key, accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ returnFormat: 'json', ...filter }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

before(async () => {
  serve = new Serve();
  info = JSON.parse(await serve.nextLine()) as ServeInfo;
});
after(async () => {
  assert.equal(await serve.quit(), 0, 'serve exits cleanly on quit');
});

describe('PyMISP, the official MISP client, talks to the MISP emulator of bench:serve', () => {
  let summary: ClientSummary;

  it('prints the URLs and the key of both emulators', () => {
    assert.match(info.misp.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.elasticsearch.url, /^http:\/\/127\.0\.0\.1:\d+\/?$/);
    assert.match(info.misp.key, /^[a-zA-Z0-9]{40}$/);
    assert.equal(info.docs, 200);
  });

  it('connects, creates an event, adds attributes one by one and as a batch, and searches', async () => {
    const result = await runClient(info.misp.url, info.misp.key);
    assert.equal(result.status, 0, `PyMISP client failed:\n${result.stderr}\n${result.stdout}`);
    summary = lastJsonLine(result.stdout);
    assert.equal(summary.ok, true);
    assert.equal(summary.version, '2.5.1');
    assert.equal(summary.user, 'admin@admin.test');
    assert.match(summary.event.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(summary.event.tags, ['tlp:clear']);
    assert.deepEqual(summary.attributes.map((a) => a.type), ['ip-src', 'url', 'sha256', 'ip-src', 'domain']);
    assert.ok(summary.attributes.every((a) => a.event_id === summary.event.id && /^\d+$/.test(a.id)));
    assert.deepEqual(summary.attributes.map((a) => a.category), ['Network activity', 'Network activity', 'Payload delivery', 'Network activity', 'Network activity'], "MISP's default categories");
    const ip = summary.attributes[0]!.value;

    assert.equal(summary.event_search.length, 1, 'the value search finds exactly the one event');
    assert.equal(summary.event_search[0]!.uuid, summary.event.uuid);
    assert.deepEqual(summary.event_search[0]!.attribute_values, summary.attributes.map((a) => a.value).sort());
    assert.deepEqual(summary.attribute_search.map((a) => a.value).sort(), [ip, '192.0.2.10'].sort());
    assert.ok(summary.attribute_search.every((a) => a.type === 'ip-src' && a.event_id === summary.event.id));
    assert.equal(summary.fetched_attribute_count, 5);
  });

  it('left the event and its attributes in the emulator, as plain HTTP sees them', async () => {
    const byUuid = await restSearch({ uuid: summary.event.uuid });
    assert.equal(byUuid.status, 200);
    const found = (byUuid.body as { response: { Event: RestEvent }[] }).response;
    assert.equal(found.length, 1);
    const event = found[0]!.Event;
    assert.equal(event.id, summary.event.id);
    assert.equal(event.info, summary.event.info);
    assert.deepEqual([event.distribution, event.threat_level_id, event.analysis, event.published], ['0', '3', '1', false]);
    assert.deepEqual(event.Tag.map((t) => t.name), ['tlp:clear']);
    assert.deepEqual(
      event.Attribute.map((a) => [a.type, a.category, a.value, a.to_ids]),
      summary.attributes.map((a) => [a.type, a.category, a.value, true]),
    );
    assert.equal(event.Attribute[0]!.comment, 'ssh brute force');

    const byValue = await restSearch({ value: summary.attributes[2]!.value });
    assert.deepEqual((byValue.body as { response: { Event: RestEvent }[] }).response.map((r) => r.Event.uuid), [summary.event.uuid]);
    const nothing = await restSearch({ value: '203.0.113.250' });
    assert.deepEqual(nothing.body, { response: [] }, 'a value nobody added matches nothing');
    const wrongKey = await restSearch({ uuid: summary.event.uuid }, 'y'.repeat(40));
    assert.equal(wrongKey.status, 403);

    const stats = await serve.stats();
    assert.equal(stats.misp_events, 1);
    assert.equal(stats.misp_attributes, 5);
    assert.equal(stats.misp_spec_violations, 0, 'every body PyMISP sent conforms to MISP\'s OpenAPI spec');
  });

  it('fails with MISP\'s authentication error when the key is wrong (the check can fail)', async () => {
    const before = await serve.stats();
    const result = await runClient(info.misp.url, 'WrongKey0123456789abcdefghijklmnopqrstuv');
    assert.equal(result.status, 1, result.stdout);
    const verdict = lastJsonLine(result.stdout);
    assert.equal(verdict.ok, false);
    assert.match(verdict.error ?? '', AUTH_FAILED);
    assert.match(result.stderr, AUTH_FAILED);
    const afterwards = await serve.stats();
    assert.equal(afterwards.misp_events, before.misp_events, 'nothing was created');
    assert.ok(afterwards.misp_requests > before.misp_requests, 'PyMISP did reach the emulator');
  });

  it("passes `tpot2misp check`: its Elasticsearch lists the generated set's daily logstash indices", async () => {
    const work = mkdtempSync(join(tmpdir(), 'tpot2misp-serve-check-'));
    try {
      const result = await runCliAsync(['check'], { ELASTICSEARCH_URL: info.elasticsearch.url, MISP_URL: info.misp.url, MISP_KEY: info.misp.key, STATE_DB: join(work, 'state.db'), VALIDATION_REPORT_DIR: join(work, 'out') });
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.doesNotMatch(result.stdout + result.stderr, /✗/, result.stdout + result.stderr);
      assert.match(result.stdout, /^✓ {3}\d+ logstash-\* indices, 200 documents, newest logstash-\d{4}\.\d{2}\.\d{2}$/m);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('is what a real tpot2misp run with enrichment on can be pointed at: its printed settings work as they are', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tpot2misp-serve-'));
    try {
      const before = await serve.stats();
      const result = await runCliAsync(['run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, 'state.db'), '--since', '2000-01-01T00:00:00Z'], {
        ELASTICSEARCH_URL: info.elasticsearch.url,
        MISP_URL: info.misp.url,
        MISP_KEY: info.misp.key,
        VALIDATION_REPORT_ENABLED: 'false',
        ENRICHMENT_ENABLED: 'true',
        // VirusTotal's free 4/min: four requests at once, then the next slot is past this short budget.
        ENRICHMENT_MAX_SECONDS: '2',
        ...info.enrichment,
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^ {2}enrichment: virustotal 4 asked \(0 found\), 0 from cache, \d+ queued; abuseipdb /m, 'the run\'s summary says what enrichment did');
      const after = await serve.stats();
      assert.ok(after.misp_events > before.misp_events, 'the generated attacks reached the MISP emulator');
      assert.equal(after.enrichment_requests['virustotal'], 4);
      assert.ok((after.enrichment_requests['abuseipdb'] ?? 0) >= 1 && (after.enrichment_requests['greynoise'] ?? 0) >= 1);
      assert.equal(after.misp_spec_violations, 0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
