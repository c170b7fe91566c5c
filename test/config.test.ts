import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, parseDateFlag, SETTINGS } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tpot2misp-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NO_FILE = join(dir, 'absent.env');
const KEY = 'A'.repeat(40);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, envFile: NO_FILE });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has safe defaults: unpublished, TLS verified, every honeypot but NGINX', () => {
    const { config } = loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed' }, envFile: NO_FILE });
    assert.equal(config.misp.verifySsl, true);
    assert.equal(config.misp.autoPublish, false);
    assert.equal(config.misp.batchSize, 500);
    assert.equal(config.hpfeeds.port, 20000);
    assert.equal(config.honeypots.length, 33);
    assert.ok(!config.honeypots.includes('NGINX'));
    assert.equal(config.uuidNamespace, '70423ab8-5c81-4fa9-ae8c-7415a7c21621');
    assert.deepEqual(config.report.formats, ['txt', 'json', 'html']);
    assert.ok(Object.isFrozen(config.misp));
  });

  it('serves metrics on loopback unless PROMETHEUS_HOST opens it up; refuses a PROMETHEUS_HOST that is no address or name', () => {
    const base = { COLLECTION_MODE: 'files', OUTPUT: 'feed' };
    assert.equal(loadConfig({ env: base, envFile: NO_FILE }).config.prometheus.host, '127.0.0.1');
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'metrics.example.org', 'localhost']) {
      assert.equal(loadConfig({ env: { ...base, PROMETHEUS_HOST: host }, envFile: NO_FILE }).config.prometheus.host, host);
    }
    for (const host of ['http://0.0.0.0', '0.0.0.0:9431', 'bad host', '-x']) {
      const found = problems({ ...base, PROMETHEUS_HOST: host });
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0]!, /^PROMETHEUS_HOST='.*': must be an IP address/);
    }
  });

  it('applies precedence flag > environment > .env > default', () => {
    const envFile = join(dir, 'precedence.env');
    writeFileSync(envFile, 'OUTPUT=feed\nCOLLECTION_MODE=files\nMISP_BATCH_SIZE=100\nLOOKBACK_DAYS=3\nPUBLISH_DELAY="60"\n');
    const { config } = loadConfig({ env: { MISP_BATCH_SIZE: '200', LOOKBACK_DAYS: '5' }, flags: { LOOKBACK_DAYS: '7' }, envFile });
    assert.equal(config.misp.batchSize, 200);
    assert.equal(config.lookbackDays, 7);
    assert.equal(config.misp.publishDelaySeconds, 60);
    assert.equal(config.output, 'feed');
  });

  it('reads booleans the way people write them ("false" is false)', () => {
    for (const [text, value] of [['false', false], ['FALSE', false], ['0', false], ['no', false], ['true', true], ['Yes', true], ['1', true]] as const) {
      const { config } = loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', ALLOW_PRIVATE_IPS: text }, envFile: NO_FILE });
      assert.equal(config.allowPrivateIps, value, text);
    }
  });

  it('accepts the original tool\'s log levels and legacy names, with warnings', () => {
    const { config, warnings } = loadConfig({
      env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', LOG_LEVEL: 'WARNING', ELASTICSEARCH_PWD: 'pw', ENRICHMENT_CACHE_DURATION: '60' },
      envFile: NO_FILE,
    });
    assert.equal(config.log.level, 'warn');
    assert.equal(config.elasticsearch.password, 'pw');
    assert.equal(config.enrichment.cacheDurationSeconds, 60);
    assert.ok(warnings.some((w) => w.includes('ELASTICSEARCH_PWD is deprecated')));
    assert.equal(loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', LOG_LEVEL: 'critical' }, envFile: NO_FILE }).config.log.level, 'fatal');
  });

  it('reports every problem at once, one line each, naming the variable and the allowed values', () => {
    const lines = problems({ COLLECTION_MODE: 'files', MISP_URL: 'notaurl', OUTPUT: 'mispp', MISP_BATCH_SIZE: '0' });
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /^OUTPUT='mispp': must be one of misp, feed$/);
    assert.ok(lines.some((l) => /^MISP_URL='notaurl': not a valid http\(s\) URL/.test(l)));
    assert.ok(lines.some((l) => /^MISP_BATCH_SIZE='0': must be at least 1/.test(l)));
  });

  it('never prints a secret', () => {
    const lines = problems({ COLLECTION_MODE: 'files', OUTPUT: 'misp', MISP_URL: 'https://misp.example.org', MISP_KEY: 'short-secret-key' });
    assert.deepEqual(lines, ["MISP_KEY='***': must be a 40-character alphanumeric MISP API key"]);
  });

  it('requires what the mode and output need', () => {
    assert.deepEqual(problems({ COLLECTION_MODE: 'batch', OUTPUT: 'misp' }), [
      'MISP_URL: required when OUTPUT=misp',
      'MISP_KEY: required when OUTPUT=misp',
      'ELASTICSEARCH_URL: required when COLLECTION_MODE=batch',
    ]);
    assert.equal(problems({ COLLECTION_MODE: 'realtime', OUTPUT: 'feed' }).length, 4);
    const { config } = loadConfig({ env: { COLLECTION_MODE: 'files', MISP_URL: 'https://misp.example.org/', MISP_KEY: KEY }, envFile: NO_FILE });
    assert.deepEqual(config.secrets, [KEY]);
  });

  it('resolves honeypot names in any case and refuses NGINX and unknown names', () => {
    const { config } = loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', TPOT_HONEYPOTS: 'cowrie, DIONAEA,go-pot' }, envFile: NO_FILE });
    assert.deepEqual(config.honeypots, ['Cowrie', 'Dionaea', 'Go-pot']);
    const lines = problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', TPOT_HONEYPOTS: 'nginx,cowrei' });
    assert.ok(lines[0]!.includes("'NGINX' is T-Pot's own web UI access log"));
    assert.ok(lines[1]!.startsWith("TPOT_HONEYPOTS: unknown honeypot 'cowrei'"));
  });

  it('validates address lists and CIDR ranges', () => {
    const { config } = loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', EXCLUDE_IPS: '192.0.2.0/24, 2001:db8::/32,198.51.100.1', SENSOR_IPS: '203.0.113.10' }, envFile: NO_FILE });
    assert.deepEqual(config.excludeIps, ['192.0.2.0/24', '2001:db8::/32', '198.51.100.1']);
    assert.equal(problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', EXCLUDE_IPS: '10.0.0.0/33' }).length, 1);
    assert.equal(problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', SENSOR_IPS: '127.1' }).length, 1);
  });

  it('warns about unknown keys in .env and loudly about disabled TLS verification', () => {
    const envFile = join(dir, 'unknown.env');
    writeFileSync(envFile, `COLLECTION_MODE=files\nMISP_URL=https://misp.example.org\nMISP_KEY=${KEY}\nMISP_VERIFY_SSL=false\nMISP_VERYFY_SSL=false\nTPOT_NETWORK=tpot_nginx_local\n`);
    const { warnings } = loadConfig({ env: {}, envFile });
    assert.ok(warnings.some((w) => w.includes('unknown setting MISP_VERYFY_SSL')));
    assert.ok(!warnings.some((w) => w.includes('TPOT_NETWORK')), 'docker compose reads TPOT_NETWORK from the same .env');
    assert.ok(warnings.some((w) => w.startsWith('TLS verification is OFF for MISP')));
  });

  it('a settings file named with --env-file must be there and readable; the default .env may be absent', () => {
    const env = { COLLECTION_MODE: 'files', OUTPUT: 'feed' };
    assert.equal(loadConfig({ env, envFile: NO_FILE }).config.mode, 'files');
    const failure = (envFile: string) => {
      try {
        loadConfig({ env, envFile, envFileRequired: true });
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems.join('\n');
      }
      assert.fail(`${envFile} was accepted`);
    };
    assert.match(failure(NO_FILE), /settings file .*absent\.env: not found/);
    // A directory (or a file the service user may not read) is an error even where a missing default is not.
    assert.throws(() => loadConfig({ env, envFile: dir }), ConfigError);
    assert.match(failure(dir), /EISDIR/);
  });

  it('names every mistyped boolean setting, its value and the accepted spellings (all of them at once)', () => {
    const booleans = [
      'ALLOW_PRIVATE_IPS', 'MISP_VERIFY_SSL', 'AUTO_PUBLISH', 'ELASTICSEARCH_VERIFY_SSL', 'HPFEEDS_TLS', 'ENRICHMENT_ENABLED', 'ENRICHMENT_DROP_BENIGN',
      'VIRUSTOTAL_ENABLED', 'ABUSEIPDB_ENABLED', 'GREYNOISE_ENABLED', 'LOG_FILE_ENABLED', 'VALIDATION_REPORT_ENABLED', 'PROMETHEUS_ENABLED',
    ];
    // The list is every setting documented as a boolean (default true/false, or "Use …" switches without one).
    const documented = SETTINGS.filter((s) => s.default === 'true' || s.default === 'false' || /_ENABLED$/.test(s.name)).map((s) => s.name);
    assert.deepEqual([...booleans].sort(), [...documented].sort());
    for (const name of booleans) {
      assert.deepEqual(problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', [name]: 'flase' }), [`${name}='flase': must be one of true, 1, yes, on, false, 0, no, off (any case)`], name);
    }
    const all = problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', ...Object.fromEntries(booleans.map((name) => [name, 'ture'])) });
    assert.deepEqual(all.map((l) => l.split('=')[0]), booleans, 'every bad setting is listed, not only the first');
  });

  it('names a bad report format and the accepted ones, for every bad item of the list', () => {
    assert.deepEqual(problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', VALIDATION_REPORT_FORMAT: 'pdf' }), ["VALIDATION_REPORT_FORMAT='pdf': 'pdf' is not accepted: each must be one of txt, json, html"]);
    assert.deepEqual(problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', VALIDATION_REPORT_FORMAT: 'txt, PDF,doc' }), ["VALIDATION_REPORT_FORMAT='txt, PDF,doc': 'PDF', 'doc' are not accepted: each must be one of txt, json, html"]);
    assert.deepEqual(problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', VALIDATION_REPORT_FORMAT: ' , ' }), ["VALIDATION_REPORT_FORMAT=' , ': name at least one of txt, json, html"]);
    assert.deepEqual(problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', GREYNOISE_PLAN: 'pro', LOG_FORMAT: 'xml' }), [
      "GREYNOISE_PLAN='pro': must be one of community, enterprise",
      "LOG_FORMAT='xml': must be one of json, text",
    ]);
  });

  it('answers any nonsense in any setting with a configuration error naming that setting, never a crash', () => {
    for (const setting of SETTINGS) {
      for (const nonsense of ['flase', '-1', ',', 'x'.repeat(300), '\u0000\u202e']) {
        let lines: string[] = [];
        try {
          loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', [setting.name]: nonsense }, envFile: NO_FILE });
          continue;
        } catch (error) {
          assert.ok(error instanceof ConfigError, `${setting.name}=${nonsense.slice(0, 10)}: ${String(error)}`);
          lines = [...error.problems];
        }
        assert.ok(lines.some((l) => l.includes(setting.name)), `${setting.name}: ${lines.join(' | ')}`);
      }
    }
  });

  it('never echoes a password written into a URL in an error line', () => {
    const lines = problems({ COLLECTION_MODE: 'batch', OUTPUT: 'feed', ELASTICSEARCH_URL: 'ftp://webuser:Hunter2-secret@tpot.example.org:64297/es/', MISP_URL: 'https://admin:An0ther-secret@[malformed' });
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.ok(lines.every((l) => !l.includes('Hunter2-secret') && !l.includes('An0ther-secret')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith("MISP_URL='https://admin:***@[malformed'")), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith("ELASTICSEARCH_URL='ftp://webuser:***@tpot.example.org:64297/es/'")), lines.join('\n'));
  });

  it('refuses MISP_DISTRIBUTION=4 (sharing group), which would need a sharing group id, saying so', () => {
    const lines = problems({ COLLECTION_MODE: 'files', OUTPUT: 'feed', MISP_DISTRIBUTION: '4' });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^MISP_DISTRIBUTION='4': 4 \(sharing group\) is not supported yet/);
    for (const n of [0, 1, 2, 3]) assert.equal(loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', MISP_DISTRIBUTION: String(n) }, envFile: NO_FILE }).config.misp.distribution, n);
  });

  it('refuses an Elasticsearch password without a user, which would never be sent', () => {
    const base = { COLLECTION_MODE: 'batch', OUTPUT: 'feed', ELASTICSEARCH_URL: 'https://tpot.example.org:64297/es/' };
    const lines = problems({ ...base, ELASTICSEARCH_PASSWORD: 'pw' });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^ELASTICSEARCH_PASSWORD is set but ELASTICSEARCH_USER is not/);
    assert.ok(!lines[0]!.includes("'pw'"));
    assert.match(problems({ ...base, ELASTICSEARCH_PWD: 'pw' })[0]!, /ELASTICSEARCH_USER is not/, 'the legacy name too');
    // A user given in either place makes it work.
    assert.equal(loadConfig({ env: { ...base, ELASTICSEARCH_PASSWORD: 'pw', ELASTICSEARCH_USER: 'webuser' }, envFile: NO_FILE }).config.elasticsearch.password, 'pw');
    assert.equal(loadConfig({ env: { ...base, ELASTICSEARCH_URL: 'https://webuser@tpot.example.org:64297/es/', ELASTICSEARCH_PASSWORD: 'pw' }, envFile: NO_FILE }).config.elasticsearch.password, 'pw');
  });

  it('reads --since/--until dates strictly: a date that does not exist is refused, not rolled over', () => {
    assert.equal(parseDateFlag('--since', '2025-03-02'), Date.UTC(2025, 2, 2));
    assert.equal(parseDateFlag('--since', '2024-02-29'), Date.UTC(2024, 1, 29));
    assert.equal(parseDateFlag('--since', '2025-03-01T10:30:00'), Date.UTC(2025, 2, 1, 10, 30));
    assert.equal(parseDateFlag('--since', '2025-03-01 10:30'), Date.UTC(2025, 2, 1, 10, 30));
    assert.equal(parseDateFlag('--since', '2025-03-01T10:30:00+02:00'), Date.UTC(2025, 2, 1, 8, 30));
    assert.equal(parseDateFlag('--since', undefined), undefined);
    for (const bad of ['2025-02-30', '2025-02-29', '2025-13-01', '2025-04-31', '2025-00-10', '2025-03-01T24:00:00', '2025-03-01T10:60', 'yesterday', '03/01/2025']) {
      assert.throws(() => parseDateFlag('--since', bad), (error: unknown) => error instanceof ConfigError && error.problems[0]!.startsWith(`--since='${bad}'`), bad);
    }
  });

  it('documents every setting in .env.example', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const setting of SETTINGS) assert.ok(new RegExp(`^#? ?${setting.name}=`, 'm').test(example), setting.name);
  });
});

