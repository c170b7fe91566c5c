import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startMispEmulator } from '../test/emulators/misp-emulator.js';
import { startCli } from '../test/support/cli.js';
import { startCowrie } from '../test/support/cowrie.js';
import { freePort, startBroker } from '../test/support/hpfeeds-broker.js';
import { venvPython } from '../test/support/pymisp.js';
import { until } from '../test/support/until.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-cowrie-e2e-'));
after(() => rmSync(work, { recursive: true, force: true }));


describe('a real Cowrie honeypot → the real HPFEEDS broker → tpot2misp (realtime) → MISP (emulated)', () => {
  it('an SSH brute-force session arrives as a Cowrie event with the client IP, the credentials and the commands', async () => {
    const subscriber = { ident: 'tpot2misp', secret: 'sub-secret', subchans: ['cowrie.sessions'] };
    const sensor = { ident: 'cowrie01', secret: 'cowrie-secret', pubchans: ['cowrie.sessions'] };
    const broker = await startBroker([subscriber, sensor]);
    const misp = await startMispEmulator();
    const cowrie = await startCowrie({ sshPort: await freePort(), broker: { port: broker.port, ident: sensor.ident, secret: sensor.secret, channel: 'cowrie.sessions' } });
    const { child, done } = startCli(['run', '--mode', 'realtime', '--output', 'misp', '--state-db', join(work, 'state.db')], {
      HPFEEDS_HOST: '127.0.0.1',
      HPFEEDS_PORT: String(broker.port),
      HPFEEDS_IDENT: subscriber.ident,
      HPFEEDS_SECRET: subscriber.secret,
      HPFEEDS_CHANNELS: 'cowrie.sessions',
      REALTIME_FLUSH_SECONDS: '1',
      MISP_URL: misp.url,
      MISP_KEY: misp.apiKey,
      // The SSH client connects from loopback.
      ALLOW_PRIVATE_IPS: 'true',
      LOG_LEVEL: 'info',
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await until(() => /HPFEEDS: connected/.test(stderr), 20_000, 'tpot2misp to subscribe');
      const attack = spawnSync(venvPython(), [fileURLToPath(new URL('../test/support/ssh_attack.py', import.meta.url)), '127.0.0.1', String(cowrie.sshPort)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(attack.status, 0, attack.stderr);
      assert.match(attack.stdout, /refused root\nrefused 123456\ndone/);
      const event = () => misp.events().find((e) => /^T-Pot Cowrie attacks /.test(e.info));
      const values = (relation: string) => (event()?.Object ?? []).flatMap((o) => o.Attribute.filter((a) => a.object_relation === relation).map((a) => a.value));
      await until(() => values('input').includes('uname -a') && values('password').length >= 3, 30_000, 'the sessions in MISP');
      const found = event()!;
      assert.equal(found.date, new Date().toISOString().slice(0, 10));
      assert.ok(found.Attribute.some((a) => a.type === 'ip-src' && a.value === '127.0.0.1'));
      assert.deepEqual([...new Set(values('password'))].sort(), ['123456', 'hunter2', 'root']);
      assert.ok(values('input').includes('cat /proc/cpuinfo | grep name | wc -l'));
      assert.ok(found.Object.some((o) => o.Attribute.some((a) => a.object_relation === 'eventid' && a.value === 'cowrie.login.success')));
      assert.deepEqual(misp.specViolations, []);
      assert.deepEqual(misp.unreported, []);
    } finally {
      child.kill('SIGTERM');
      await done;
      await cowrie.stop();
      await broker.stop();
      await misp.close();
    }
  });
});
