import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { HpfeedsClient, type HpfeedsMessage, type HpfeedsStatus } from '../../src/sources/hpfeeds/client.js';
import { encode } from '../../src/sources/hpfeeds/protocol.js';
import { runCliAsync } from '../support/cli.js';
import { startBroker, type Broker, type BrokerUser } from '../support/hpfeeds-broker.js';
import { until } from '../support/until.js';

const SUBSCRIBER: BrokerUser = { ident: 'tpot2misp', secret: 'example-secret', subchans: ['cowrie.sessions', 'ews.json'] };
const SENSOR: BrokerUser = { ident: 'sensor01', secret: 'sensor-secret', pubchans: ['cowrie.sessions', 'ews.json'] };

/** A logger whose lines the test can read. */
function recordingLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}


describe('HPFEEDS client against the real broker (hpfeeds 3.1.0 from PyPI)', () => {
  let broker: Broker;
  before(async () => {
    broker = await startBroker([SUBSCRIBER, SENSOR]);
  });
  after(async () => {
    await broker.stop();
  });

  it('receives what the Python reference client publishes, and 10,000 messages at full speed, each once', async () => {
    const received: HpfeedsMessage[] = [];
    const { log } = recordingLog();
    const subscriber = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: SUBSCRIBER.ident, secret: SUBSCRIBER.secret, channels: SUBSCRIBER.subchans!, log, onMessage: (m) => received.push(m) });
    const publisher = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: SENSOR.ident, secret: SENSOR.secret, channels: [], log });
    subscriber.start();
    publisher.start();
    try {
      await subscriber.waitConnected();
      await publisher.waitConnected();
      await new Promise((r) => setTimeout(r, 200)); // the broker registers the subscription after AUTH
      broker.publishWithPython(SENSOR, 'cowrie.sessions', '{"session":"a1b2c3d4e5f6","peerIP":"198.51.100.23"}');
      await until(() => received.length === 1, 10_000, 'the Python publication');
      assert.equal(received[0]!.ident, 'sensor01');
      assert.equal(received[0]!.channel, 'cowrie.sessions');
      assert.deepEqual(JSON.parse(received[0]!.payload.toString('utf8')), { session: 'a1b2c3d4e5f6', peerIP: '198.51.100.23' });

      for (let i = 0; i < 10_000; i++) publisher.publish(i % 2 === 0 ? 'cowrie.sessions' : 'ews.json', JSON.stringify({ n: i }));
      await until(() => received.length === 10_001, 30_000, '10,000 messages');
      const numbers = received.slice(1).map((m) => (JSON.parse(m.payload.toString('utf8')) as { n: number }).n);
      assert.equal(new Set(numbers).size, 10_000);
    } finally {
      await subscriber.stop();
      await publisher.stop();
    }
  });

  it('is subscribed again within seconds when the broker comes back', async () => {
    const received: string[] = [];
    const statuses: HpfeedsStatus[] = [];
    const { log } = recordingLog();
    const subscriber = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: SUBSCRIBER.ident, secret: SUBSCRIBER.secret, channels: SUBSCRIBER.subchans!, log, onMessage: (m) => received.push(m.payload.toString()), onStatus: (s) => statuses.push(s), backoff: { minMs: 100, maxMs: 1_000 } });
    subscriber.start();
    try {
      await subscriber.waitConnected();
      await broker.stop();
      await until(() => subscriber.status !== 'connected', 5_000, 'the client to notice');
      await broker.start();
      const back = Date.now();
      await subscriber.waitConnected(10_000);
      assert.ok(Date.now() - back < 5_000, 'reconnected within seconds');
      await new Promise((r) => setTimeout(r, 200));
      broker.publishWithPython(SENSOR, 'ews.json', '{"after":"restart"}');
      await until(() => received.includes('{"after":"restart"}'), 10_000, 'a message after the restart');
      assert.ok(statuses.includes('disconnected'));
    } finally {
      await subscriber.stop();
    }
  });

  it('wrong secret or a refused channel: reported once as a refusal, retried slowly', async () => {
    const { log, lines } = recordingLog();
    const statuses: HpfeedsStatus[] = [];
    const wrong = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: SUBSCRIBER.ident, secret: 'wrong', channels: ['cowrie.sessions'], log, onStatus: (s) => statuses.push(s), backoff: { refusedMs: 60_000 } });
    wrong.start();
    try {
      await until(() => wrong.status === 'refused', 10_000, 'the refusal');
      assert.equal(wrong.nextDelayMs, 60_000, 'no tight retry loop');
      const refusal = lines.find((l) => String(l['msg']).includes('refused'));
      assert.match(String(refusal?.['reason']), /Authentication failed for tpot2misp/);
      assert.ok(!JSON.stringify(lines).includes('wrong'), 'the secret is never logged');
    } finally {
      await wrong.stop();
    }
    const channel = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: SUBSCRIBER.ident, secret: SUBSCRIBER.secret, channels: ['dionaea.capture'], log, backoff: { refusedMs: 60_000 } });
    channel.start();
    try {
      await until(() => channel.status === 'refused', 10_000, 'the channel refusal');
      assert.ok(lines.some((l) => /not allowed to sub here/.test(String(l['reason']))));
    } finally {
      await channel.stop();
    }
  });
});

describe('`tpot2misp check` in realtime mode', () => {
  let broker: Broker;
  before(async () => {
    broker = await startBroker([SUBSCRIBER, SENSOR]);
  });
  after(async () => {
    await broker.stop();
  });

  const env = (secret: string, channels: string) => ({ HPFEEDS_HOST: '127.0.0.1', HPFEEDS_PORT: String(broker.port), HPFEEDS_IDENT: SUBSCRIBER.ident, HPFEEDS_SECRET: secret, HPFEEDS_CHANNELS: channels });

  it('says the broker took the credentials and channels, or why it refused them', async () => {
    const good = await runCliAsync(['check', '--mode', 'realtime', '--output', 'feed'], env(SUBSCRIBER.secret, 'cowrie.sessions'));
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /✓ HPFEEDS 127\.0\.0\.1:\d+: authenticated as tpot2misp, subscribed to cowrie\.sessions/);
    const wrong = await runCliAsync(['check', '--mode', 'realtime', '--output', 'feed'], env('not-the-secret', 'cowrie.sessions'));
    assert.equal(wrong.status, 1);
    assert.match(wrong.stdout, /✗ HPFEEDS .*refused us \(Authentication failed for tpot2misp\)/);
    assert.ok(!wrong.stdout.includes('not-the-secret'));
    const channel = await runCliAsync(['check', '--mode', 'realtime', '--output', 'feed'], env(SUBSCRIBER.secret, 'dionaea.capture'));
    assert.equal(channel.status, 1);
    assert.match(channel.stdout, /not allowed to sub here/);
  });
});

describe('HPFEEDS client facing garbage', () => {
  let server: Server;
  let port: number;
  let script: (socket: Socket) => void = () => undefined;
  let connections = 0;
  const open = new Set<Socket>();
  before(async () => {
    server = createServer((socket) => {
      open.add(socket);
      connections++;
      script(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    for (const socket of open) socket.destroy();
    server.close();
  });

  const cases: [string, (socket: Socket) => void, RegExp][] = [
    ['random bytes', (s) => s.write(randomBytes(64)), /protocol error|connection closed/],
    ['a 2 GB length prefix', (s) => s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 3])), /out of bounds/],
    ['a frame cut in half, then EOF', (s) => {
      s.write(encode.info('hpfeeds', Buffer.from('abcd')));
      s.end(encode.publish('x', 'y', 'z'.repeat(100)).subarray(0, 50));
    }, /connection closed/],
  ];
  for (const [name, behaviour, reason] of cases) {
    it(`${name}: the connection ends with a logged reason and the client reconnects`, async () => {
      script = behaviour;
      connections = 0;
      const { log, lines } = recordingLog();
      const client = new HpfeedsClient({ host: '127.0.0.1', port, ident: 'tpot2misp', secret: 's', channels: ['c'], log, backoff: { minMs: 20, maxMs: 50 } });
      client.start();
      try {
        await until(() => connections >= 2, 5_000, 'a reconnect');
        const reasons = lines.map((l) => String(l['reason'] ?? ''));
        assert.ok(reasons.some((r) => reason.test(r)), reasons.join(' | '));
      } finally {
        await client.stop();
      }
    });
  }
});
