import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { MispHttpClient } from '../../src/misp/http-client.js';
import { startMispEmulator } from '../emulators/misp-emulator.js';

describe('MispHttpClient: what it tells the request metric', () => {
  it('a request whose retries ran out on 503 counts as 503 (MISP answering), one with no answer at all as 0', async () => {
    const misp = await startMispEmulator();
    const seen: string[] = [];
    const client = new MispHttpClient({ url: misp.url, key: misp.apiKey, verifySsl: false, retry: { maxRetries: 1, minTimeoutMs: 1, maxTimeoutMs: 1 }, onResponse: (endpoint, status) => seen.push(`${endpoint} ${status}`) });
    try {
      misp.outage(Date.now() + 60_000);
      await assert.rejects(client.request('GET', '/servers/getVersion'), { code: 'T2M_MISP_HTTP' });
      assert.deepEqual(seen, ['GET /servers/getVersion 503']);
    } finally {
      await client.close();
      await misp.close();
    }
    // A port nobody listens on: connection refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = new MispHttpClient({ url: `http://127.0.0.1:${port}`, key: 'k'.repeat(40), verifySsl: false, retry: { maxRetries: 0 }, onResponse: (endpoint, status) => seen.push(`${endpoint} ${status}`) });
    try {
      await assert.rejects(unreachable.request('GET', '/servers/getVersion'), { code: 'T2M_MISP_UNREACHABLE' });
      assert.equal(seen.at(-1), 'GET /servers/getVersion 0');
    } finally {
      await unreachable.close();
    }
  });
});
