import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { attackerIp } from '../src/simulate/synthetic-tpot.js';
import { HpfeedsClient } from '../src/sources/hpfeeds/client.js';
import { startMispEmulator } from '../test/emulators/misp-emulator.js';
import { startCli } from '../test/support/cli.js';
import { startBroker } from '../test/support/hpfeeds-broker.js';
import { until } from '../test/support/until.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-outage-'));
after(() => rmSync(work, { recursive: true, force: true }));


describe('realtime through a one-minute MISP outage and a SIGKILL of tpot2misp', () => {
  it('every received message reaches MISP exactly once after MISP returns, from the outbox of a restarted process', async () => {
    const subscriber = { ident: 'tpot2misp', secret: 'sub-secret', subchans: ['cowrie.sessions'] };
    const sensor = { ident: 'sensor01', secret: 'sensor-secret', pubchans: ['cowrie.sessions'] };
    const broker = await startBroker([subscriber, sensor]);
    const misp = await startMispEmulator();
    const env = {
      HPFEEDS_HOST: '127.0.0.1',
      HPFEEDS_PORT: String(broker.port),
      HPFEEDS_IDENT: subscriber.ident,
      HPFEEDS_SECRET: subscriber.secret,
      HPFEEDS_CHANNELS: 'cowrie.sessions',
      REALTIME_FLUSH_SECONDS: '2',
      MISP_URL: misp.url,
      MISP_KEY: misp.apiKey,
      LOG_LEVEL: 'info',
    };
    const args = ['run', '--mode', 'realtime', '--output', 'misp', '--state-db', join(work, 'state.db')];
    const publisher = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: sensor.ident, secret: sensor.secret, channels: [], log: pino({ level: 'silent' }) });
    const ipsIn = () => misp.events().find((e) => e.info === 'T-Pot Cowrie attacks 2025-03-22')?.Attribute.filter((a) => a.type === 'ip-src') ?? [];
    const first = startCli(args, env);
    let stderr = '';
    first.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let second: ReturnType<typeof startCli> | undefined;
    try {
      await until(() => /HPFEEDS: connected/.test(stderr), 20_000, 'the subscriber');
      publisher.start();
      await publisher.waitConnected();
      await new Promise((r) => setTimeout(r, 300));
      misp.outage(Date.now() + 60_000);
      for (let i = 0; i < 10_000; i++) {
        publisher.publish('cowrie.sessions', JSON.stringify({ session: `o${i}`, startTime: '2025-03-22T08:00:00.000000Z', peerIP: attackerIp(i), peerPort: 40000, hostPort: 22, protocol: 'ssh', credentials: [], commands: [] }));
      }
      await until(() => /Realtime flush failed/.test(stderr), 30_000, 'the outage to be noticed');
      await new Promise((r) => setTimeout(r, 3_000)); // everything received is in the outbox by now
      first.child.kill('SIGKILL');
      await first.done;
      assert.equal(ipsIn().length, 0, 'nothing reached MISP during the outage');

      second = startCli(args, env);
      await until(() => ipsIn().length >= 10_000, 150_000, 'the backlog to drain after the outage');
      await new Promise((r) => setTimeout(r, 3_000));
      const ips = ipsIn();
      assert.equal(ips.length, 10_000);
      assert.equal(new Set(ips.map((a) => a.value)).size, 10_000);
      assert.ok(ips.every((a) => a.comment.startsWith('1 hit;')), 'each message exactly once');
    } finally {
      await publisher.stop();
      first.child.kill('SIGKILL');
      if (second !== undefined) {
        second.child.kill('SIGTERM');
        await second.done;
      }
      await broker.stop();
      await misp.close();
    }
  });
});
