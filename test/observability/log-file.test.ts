// The optional log file: every line the run logs, secrets masked, rotated by size into numbered gzip copies.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Tpot2MispError } from '../../src/errors.js';
import { openLogger } from '../../src/observability/log.js';
import { PROJECT_ROOT, runCliAsync as runCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-logfile-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('LOG_FILE_ENABLED', () => {
  it('writes the run\'s log lines to LOG_FILE_PATH (directory created), and the final error of a failed run', async () => {
    const logPath = join(work, 'nested', 'logs', 'tpot2misp.log');
    const common = { LOG_FILE_ENABLED: 'true', LOG_FILE_PATH: logPath, LOG_LEVEL: 'info', VALIDATION_REPORT_ENABLED: 'false' };
    const ok = await runCli(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'feed', '--feed-dir', join(work, 'feed'), '--state-db', join(work, 'a.db')], common);
    assert.equal(ok.status, 0, ok.stderr);
    const lines = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string });
    assert.ok(lines.some((l) => l.msg === 'Delivered changes to the sink.'), 'the delivery summary is in the file');

    const secret = 'LogFileSecretKey0123456789abcdefghijklmn';
    const failed = await runCli(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(work, 'b.db')], { ...common, MISP_URL: 'http://127.0.0.1:9', MISP_KEY: secret });
    assert.notEqual(failed.status, 0);
    const text = readFileSync(logPath, 'utf8');
    const last = JSON.parse(text.trim().split('\n').at(-1)!) as { msg: string; level: string; err?: { message: string } };
    assert.equal(last.level, 'error');
    assert.match(last.err?.message ?? '', /127\.0\.0\.1:9/);
    assert.ok(!text.includes(secret), 'the MISP key never reaches the file');
    assert.equal(failed.stderr.split('\n').filter((l) => l.includes('"The run failed."')).length, 0, 'stderr keeps its single human line');
  });

  it('rotates by size, keeping LOG_FILE_MAX_FILES compressed copies and deleting older ones', async () => {
    const dir = join(work, 'rotation');
    const path = join(dir, 'app.log');
    const logger = openLogger({ level: 'info', format: 'json', file: { path, maxSize: '1K', maxFiles: 2 } });
    for (let i = 0; i < 200; i++) {
      logger.fileLog?.info({ i, filler: 'x'.repeat(50) }, 'line');
      // Let the stream rotate between writes, as a long run would.
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await logger.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const files = readdirSync(dir).filter((f) => f.startsWith('app.log')).sort();
    assert.ok(existsSync(path));
    assert.ok(files.includes('app.log.1.gz') && files.includes('app.log.2.gz'), files.join(', '));
    assert.ok(!files.includes('app.log.3.gz'), `at most 2 rotated copies: ${files.join(', ')}`);
    const rotated = gunzipSync(readFileSync(join(dir, 'app.log.1.gz'))).toString('utf8').trim().split('\n');
    assert.ok(rotated.length > 5 && rotated.every((l) => (JSON.parse(l) as { msg: string }).msg === 'line'));
    // Newest lines are in the live file; the rotated copies hold older ones.
    const current = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    const older = rotated.map((l) => (JSON.parse(l) as { i: number }).i);
    assert.ok(Math.min(...current) > Math.max(...older));
  });
});

describe('a LOG_FILE_PATH that cannot be written', () => {
  const settings = (path: string) => ({ level: 'info', format: 'json' as const, file: { path, maxSize: '1M', maxFiles: 1 } });

  it('is an error naming LOG_FILE_PATH, the path and why (under a file; a directory itself)', () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, '');
    const underFile = join(file, 'logs', 'tpot2misp.log');
    assert.throws(() => openLogger(settings(underFile)), (error: unknown) => {
      assert.ok(error instanceof Tpot2MispError);
      assert.equal(error.code, 'T2M_CONFIG_INVALID');
      assert.equal(error.message, `cannot write the log file LOG_FILE_PATH=${underFile}: a part of its directory is a file, not a directory (ENOTDIR)`);
      assert.match(error.hint ?? '', /LOG_FILE_PATH.*LOG_FILE_ENABLED=false/);
      return true;
    });
    const dir = join(work, 'a-directory');
    mkdirSync(dir);
    assert.throws(() => openLogger(settings(dir)), /cannot write the log file LOG_FILE_PATH=.*a-directory: it is a directory: name a file in it .*\(EISDIR\)/);
  });

  it('the CLI says so in one line with a hint, no stack trace, exit 1', async () => {
    const file = join(work, 'cli-plain-file');
    writeFileSync(file, '');
    const path = join(file, 'tpot2misp.log');
    const result = await runCli(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'feed', '--feed-dir', join(work, 'bad-log-feed'), '--state-db', join(work, 'bad-log.db')], {
      LOG_FILE_ENABLED: 'true', LOG_FILE_PATH: path, VALIDATION_REPORT_ENABLED: 'false',
    });
    assert.equal(result.status, 1, result.stderr);
    // mkdir of the file itself answers EEXIST (of a path under it, ENOTDIR): the same words either way.
    assert.ok(result.stderr.includes(`error [T2M_CONFIG_INVALID]: cannot write the log file LOG_FILE_PATH=${path}: a part of its directory is a file, not a directory (EEXIST)`), result.stderr);
    assert.match(result.stderr, /hint: set LOG_FILE_PATH/);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
    assert.ok(!existsSync(join(work, 'bad-log-feed')), 'nothing was delivered: the run did not start');
  });
});
