// Heralding (credential catcher for many protocols): usernames and passwords tried, per protocol.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const heralding: Honeypot = {
  type: 'Heralding',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'heralding/log/auth.csv', format: 'csv' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'proto', 'username', 'password'],
  fromNative(record) {
    const port = (v: unknown) => (typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : v);
    const out: Record<string, unknown> = {
      auth_id: record['auth_id'],
      session_id: record['session_id'],
      src_ip: record['source_ip'],
      src_port: port(record['source_port']),
      dest_ip: record['destination_ip'],
      dest_port: port(record['destination_port']),
      proto: record['protocol'],
      username: record['username'] === '' ? null : record['username'],
      password: record['password'] === '' ? null : record['password'],
    };
    return withTimestamp({ ...out, timestamp: record['timestamp'] }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Heralding', doc);
    if ('skip' in base) return base;
    const protocol = text(doc, 'proto')?.toLowerCase();
    const username = text(doc, 'username');
    const password = text(doc, 'password');
    return {
      ...base,
      transport: 'tcp',
      ...(protocol !== undefined && { protocol }),
      ...((username !== undefined || password !== undefined) && { credentials: [{ username, password }] }),
    };
  },
};
