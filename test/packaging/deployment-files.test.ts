// No Docker engine or systemd runs here: the deployment files are checked as text, for what an operator relies
// on (not root, a health check, state on a volume, T-Pot's network, no secrets) and for drift from the code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config.js';
import { PROJECT_ROOT, runCli } from '../support/cli.js';

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const SECRET_NAMES = new Set(SETTINGS.filter((s) => s.secret).map((s) => s.name));
const KNOWN = new Set(SETTINGS.map((s) => s.name));
// Variables only docker compose reads (interpolation), never tpot2misp.
const COMPOSE_ONLY = new Set(['TPOT_NETWORK', 'TPOT_DATA_DIR_HOST']);

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
    services: Record<string, { env_file?: string | string[]; environment?: Record<string, string>; volumes?: string[]; networks?: string[]; healthcheck?: unknown; build?: unknown }>;
    networks: Record<string, { external?: boolean; name?: string }>;
  };
  const service = compose.services['tpot2misp']!;

  it('joins T-Pot\'s network (external, tpotce_nginx_local unless TPOT_NETWORK says otherwise)', () => {
    const [network] = service.networks ?? [];
    const declared = compose.networks[network!]!;
    assert.equal(declared.external, true);
    assert.match(declared.name ?? '', /^\$\{TPOT_NETWORK:-tpotce_nginx_local\}$/);
    assert.match(read('../shared/reference/tpot.md'), /tpotce_nginx_local/, 'the name the T-Pot reference gives');
    assert.equal(service.environment?.['ELASTICSEARCH_URL'], '${ELASTICSEARCH_URL:-http://elasticsearch:9200}');
  });

  it('keeps state on a named volume, mounts T-Pot\'s data read-only, and takes secrets from .env only', () => {
    const volumes = service.volumes ?? [];
    assert.ok(volumes.some((v) => /^[a-z][\w-]*:\/var\/lib\/tpot2misp$/.test(v)), 'named volume for the state');
    assert.ok(volumes.some((v) => v.endsWith(':/data:ro')), 'T-Pot data read-only');
    assert.equal(service.env_file, '.env');
    for (const name of Object.keys(service.environment ?? {})) {
      assert.ok(!SECRET_NAMES.has(name), `${name} must come from .env, not the compose file`);
      assert.ok(KNOWN.has(name), `${name} is not a tpot2misp setting`);
    }
    for (const [, name] of read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) {
      assert.ok(KNOWN.has(name!) || COMPOSE_ONLY.has(name!), `${name} is neither a setting nor documented as compose-only`);
    }
  });
});

describe('systemd units and cron', () => {
  const commands = runCli(['run', '--help']).stdout;

  it('run as an unprivileged user with the settings file, using flags the CLI has', () => {
    for (const unit of ['tpot2misp.service', 'tpot2misp-batch.service']) {
      const text = read(`deploy/systemd/${unit}`);
      const user = /^User=(\S+)$/m.exec(text)?.[1];
      assert.ok(user !== undefined && user !== 'root', `${unit}: User= not root`);
      const exec = /^ExecStart=(.*)$/m.exec(text)?.[1] ?? '';
      assert.match(exec, /tpot2misp run\b/);
      for (const [flag] of exec.matchAll(/--[a-z-]+/g)) assert.ok(commands.includes(flag), `${unit}: ${flag} is a run option`);
      assert.match(exec, /--env-file \/etc\/tpot2misp\/env/);
      for (const [, name] of text.matchAll(/^Environment=([A-Z_]+)=/gm)) assert.ok(KNOWN.has(name!), `${unit}: ${name} is a setting`);
      assert.match(text, /^NoNewPrivileges=true$/m);
    }
    assert.match(read('deploy/systemd/tpot2misp-batch.timer'), /^OnUnitActiveSec=\S+$/m);
  });

  it('cron runs one pass at a time on a valid schedule', () => {
    const [entry] = read('deploy/cron/tpot2misp.cron').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const fields = entry!.split(/\s+/);
    assert.ok(fields.slice(0, 5).every((f) => /^(\*|\d+)(\/\d+)?(,\d+)*$/.test(f)), `schedule: ${fields.slice(0, 5).join(' ')}`);
    assert.equal(fields[5], 'tpot2misp', '/etc/cron.d format names the user');
    assert.match(entry!, /flock -n/);
    assert.match(entry!, /tpot2misp run --once/);
  });
});
