// P0f (passive OS fingerprinting): network context, never an attack by itself; recognised and skipped.
import { renamed, withTimestamp } from './common-event.js';
import type { Honeypot } from './honeypot.js';

export const p0f: Honeypot = {
  type: 'P0f',
  role: 'nsm',
  interaction: 'none',
  logs: [{ path: 'p0f/log/p0f.json', format: 'json' }],
  fields: [],
  esSelect: 'none',
  fromNative(record) {
    const out = withTimestamp(
      renamed(record, { client_ip: 'src_ip', client_port: 'src_port', server_ip: 'dest_ip', server_port: 'dest_port' }),
      'timestamp',
    );
    delete out['timestamp'];
    return out;
  },
  normalize() {
    return { skip: 'nsm_context' };
  },
};
