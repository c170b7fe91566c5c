// No Docker engine or systemd runs here: the deployment files are checked as text, for what an operator relies
// on (not root, a health check, state on a volume, T-Pot's network, no secrets) and for drift from the code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { COMPOSE_ONLY, SETTINGS } from '../../src/config.js';
import { PROJECT_ROOT, runCli } from '../support/cli.js';

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const SECRET_NAMES = new Set(SETTINGS.filter((s) => s.secret).map((s) => s.name));
const KNOWN = new Set(SETTINGS.map((s) => s.name));
const RUN_HELP = runCli(['run', '--help']).stdout;

/** The first non-comment line of a cron file that is not a `NAME=value` assignment. */
function cronEntry(text: string): string | undefined {
  return text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#') && !/^[A-Z_]+=/.test(l));
}

/** Dockerfile instructions, continuation lines joined. */
function instructions(dockerfile: string): { op: string; args: string }[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1).trim() }));
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const finalStage = steps.slice(steps.map((s) => s.op).lastIndexOf('FROM'));

  it('builds in one stage and runs from a second one, as a non-root user', () => {
    assert.ok(steps.filter((s) => s.op === 'FROM').length >= 2, 'multi-stage');
    const user = finalStage.filter((s) => s.op === 'USER').at(-1);
    assert.ok(user !== undefined, 'the runtime stage sets USER');
    assert.doesNotMatch(user.args, /^(root|0)(:|$)/);
    assert.ok(!finalStage.some((s) => s.op === 'RUN' && /\b(g\+\+|make)\b/.test(s.args)), 'no compiler in the runtime image');
  });

  it('keeps state on a volume, exposes the metrics port and checks /healthz', () => {
    const volume = finalStage.find((s) => s.op === 'VOLUME');
    assert.ok(volume !== undefined);
    const env = finalStage.filter((s) => s.op === 'ENV').map((s) => s.args).join(' ');
    const stateDb = /STATE_DB=(\S+)/.exec(env)?.[1];
    assert.ok(stateDb !== undefined && JSON.parse(volume.args.replace(/^([^[].*)$/, '["$1"]')).some((v: string) => stateDb.startsWith(`${v}/`)), 'STATE_DB lies on the volume');
    assert.ok(finalStage.some((s) => s.op === 'EXPOSE' && s.args.split(/\s+/).includes('9431')));
    assert.match(finalStage.find((s) => s.op === 'HEALTHCHECK')?.args ?? '', /\/healthz/);
    assert.match(env, /PROMETHEUS_ENABLED=true/, 'the health check has something to ask');
    assert.match(env, /PROMETHEUS_HOST=0\.0\.0\.0/, 'reachable through a port mapping (the default 127.0.0.1 is the container\'s own loopback)');
  });

  it('sets no secret and only settings tpot2misp knows', () => {
    for (const step of steps.filter((s) => s.op === 'ENV' || s.op === 'ARG')) {
      for (const [, name] of step.args.matchAll(/([A-Z][A-Z0-9_]*)=/g)) {
        assert.ok(!SECRET_NAMES.has(name!), `${name} is a secret`);
        if (name !== 'NODE_ENV') assert.ok(KNOWN.has(name!), `${name} is not a tpot2misp setting`);
      }
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, { env_file?: string | string[]; environment?: Record<string, string>; volumes?: string[]; networks?: string[]; ports?: string[]; restart?: string; healthcheck?: { disable?: boolean; test?: string | string[] }; build?: unknown }>;
    networks: Record<string, { external?: boolean; name?: string }>;
    volumes?: Record<string, unknown>;
  };
  const service = compose.services['tpot2misp']!;
  const env = service.environment ?? {};
  // source:target[:mode], parsed from the right: the source may be `${VAR:-default}`.
  const mounts = (service.volumes ?? []).map((v) => {
    const [, source, target, mode] = /^(.+):(\/[^:]*)(?::(ro|rw))?$/.exec(v) ?? [];
    return { source: source ?? '', target: target ?? '', readOnly: mode === 'ro' };
  });

  it('joins T-Pot\'s network (external, tpotce_nginx_local unless TPOT_NETWORK says otherwise)', () => {
    const [network] = service.networks ?? [];
    const declared = compose.networks[network!]!;
    assert.equal(declared.external, true);
    assert.match(declared.name ?? '', /^\$\{TPOT_NETWORK:-tpotce_nginx_local\}$/);
    assert.equal(service.environment?.['ELASTICSEARCH_URL'], '${ELASTICSEARCH_URL:-http://elasticsearch:9200}');
  });

  it('keeps state on a named volume, mounts T-Pot\'s data read-only, and takes secrets from .env only', () => {
    const state = mounts.find((m) => m.target === '/var/lib/tpot2misp');
    assert.ok(state !== undefined && /^[a-z][\w-]*$/.test(state.source), 'named volume for the state');
    assert.ok(compose.volumes !== undefined && state.source in compose.volumes, `volume ${state.source} is declared`);
    const data = mounts.find((m) => m.target === env['TPOT_DATA_DIR']);
    assert.ok(data?.readOnly === true, 'TPOT_DATA_DIR is a read-only mount of T-Pot\'s data');
    assert.equal(service.env_file, '.env');
    for (const name of Object.keys(service.environment ?? {})) {
      assert.ok(!SECRET_NAMES.has(name), `${name} must come from .env, not the compose file`);
      assert.ok(KNOWN.has(name), `${name} is not a tpot2misp setting`);
    }
    for (const [, name] of read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) {
      assert.ok(KNOWN.has(name!) || COMPOSE_ONLY.has(name!), `${name} is neither a setting nor documented as compose-only`);
    }
  });

  // .env.example (the env_file) sets relative host paths; `environment` must override them with paths on the volume.
  it('pins every path tpot2misp writes to the state volume', () => {
    for (const name of ['STATE_DB', 'VALIDATION_REPORT_DIR', 'MISP_FEED_DIR', 'LOG_FILE_PATH']) {
      assert.ok(env[name]?.startsWith('/var/lib/tpot2misp/'), `${name}=${env[name]} lies on the state volume`);
    }
    assert.match(read('.env.example'), /^STATE_DB=(?!\/var\/lib\/tpot2misp)/m, 'still needed: .env.example sets another STATE_DB');
  });

  it('is healthy only when /healthz answers, and does not restart into back-to-back runs', () => {
    assert.equal(env['PROMETHEUS_ENABLED'], 'true');
    // .env.example's PROMETHEUS_HOST=127.0.0.1 would be the container's own loopback: the port mapping could not reach it.
    assert.equal(env['PROMETHEUS_HOST'], '0.0.0.0', 'the endpoint listens on every interface of the container');
    const port = env['PROMETHEUS_PORT'] ?? '9431';
    assert.ok((service.ports ?? []).includes(`127.0.0.1:${port}:${port}`), 'metrics port published on loopback only');
    const own = service.healthcheck;
    if (own === undefined) assert.match(read('Dockerfile'), /^HEALTHCHECK .*\/healthz/ms, 'relies on the image health check');
    else assert.ok(own.disable !== true && /\/healthz/.test(String(own.test)), 'its own health check asks /healthz');
    if (service.restart !== 'no') assert.ok(Number(env['BATCH_INTERVAL_HOURS']) > 0, 'a restarted batch container loops by itself');
  });
});

describe('systemd units and cron', () => {
  it('run as an unprivileged user with the settings file, using flags the CLI has', () => {
    for (const unit of ['tpot2misp.service', 'tpot2misp-batch.service']) {
      const text = read(`deploy/systemd/${unit}`);
      const user = /^User=(\S+)$/m.exec(text)?.[1];
      assert.ok(user !== undefined && user !== 'root', `${unit}: User= not root`);
      const exec = /^ExecStart=(.*)$/m.exec(text)?.[1] ?? '';
      assert.match(exec, /tpot2misp run\b/);
      for (const [flag] of exec.matchAll(/--[a-z-]+/g)) assert.ok(RUN_HELP.includes(flag), `${unit}: ${flag} is a run option`);
      assert.match(exec, /--env-file \/etc\/tpot2misp\/env/);
      for (const [, name] of text.matchAll(/^Environment=([A-Z_]+)=/gm)) assert.ok(KNOWN.has(name!), `${unit}: ${name} is a setting`);
      assert.match(text, /^NoNewPrivileges=true$/m);
    }
    assert.match(read('deploy/systemd/tpot2misp.service'), /^ExecStart=.* run --mode realtime\b/m);
    const batch = read('deploy/systemd/tpot2misp-batch.service');
    assert.match(batch, /^Type=oneshot$/m);
    assert.match(batch, /^ExecStart=.* run --once\b/m);
    assert.match(read('deploy/systemd/tpot2misp-batch.timer'), /^(OnCalendar|OnUnitActiveSec)=\S+$/m);
  });

  it('cron runs one pass at a time on a valid schedule', () => {
    const entry = cronEntry(read('deploy/cron/tpot2misp.cron'));
    const fields = entry!.split(/\s+/);
    assert.ok(fields.slice(0, 5).every((f) => /^(\*|\d+)(\/\d+)?(,\d+)*$/.test(f)), `schedule: ${fields.slice(0, 5).join(' ')}`);
    assert.equal(fields[5], 'tpot2misp', '/etc/cron.d format names the user');
    assert.match(entry!, /flock -n/);
    assert.match(entry!, /tpot2misp run --once/);
    assert.match(entry!, /--env-file \/etc\/tpot2misp\/env/);
    for (const [flag] of entry!.matchAll(/\s(--[a-z-]+)/g)) assert.ok(RUN_HELP.includes(flag.trim()), `${flag.trim()} is a run option`);
  });
});
