import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../test/support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

function sh(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' }, timeout: 600_000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('the npm package', () => {
  it('packs, installs into a clean directory, and runs --help and the demo from there', () => {
    const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], PROJECT_ROOT)) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    assert.ok(files.includes('dist/cli.js'), 'the build output is in the tarball');
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.includes('.env') && !f.endsWith('.env.example')), 'no sources, tests or settings files');
    const app = join(work, 'app');
    sh('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), '{"name":"clean","version":"1.0.0","private":true}');
    sh('npm', ['install', join(work, packed[0]!.filename)], app);
    const help = sh('npx', ['tpot2misp', '--help'], app);
    assert.match(help, /Usage: tpot2misp/);
    assert.match(help, /run \[options\]/);
    sh('npx', ['tpot2misp', 'demo', '--out', 'demo-out'], app);
    assert.ok(existsSync(join(app, 'demo-out', 'misp-feed', 'manifest.json')));
  });
});
