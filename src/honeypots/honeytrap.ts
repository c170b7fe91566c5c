// Honeytrap (catch-all TCP listener): probed ports and the hash of what the attacker sent on the connection.
import { commonEvent, withTimestamp } from './common-event.js';
import { field, integer, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const honeytrap: Honeypot = {
  type: 'Honeytrap',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'honeytrap/log/attackers.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'attack_connection.protocol', 'attack_connection.payload.md5_hash', 'attack_connection.payload.length'],
  fromNative(record) {
    const connection = field(record, 'attack_connection');
    const out: Record<string, unknown> = { ...record };
    if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
      const { local_port, local_ip, remote_port, remote_ip, ...rest } = connection as Record<string, unknown>;
      out['attack_connection'] = rest;
      Object.assign(out, { dest_port: local_port, dest_ip: local_ip, src_port: remote_port, src_ip: remote_ip });
    }
    return withTimestamp(out, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Honeytrap', doc);
    if ('skip' in base) return base;
    const transport = text(doc, 'attack_connection.protocol')?.toLowerCase();
    const md5 = text(doc, 'attack_connection.payload.md5_hash');
    const size = integer(doc, 'attack_connection.payload.length');
    // An empty payload (length 0, the MD5 of nothing) is not worth reporting.
    const payload = md5 !== undefined && size !== 0 ? [{ md5, ...(size !== undefined && { size }), sentOnConnection: true as const }] : [];
    return {
      ...base,
      ...(transport !== undefined && { transport }),
      ...(payload.length > 0 && { files: payload }),
    };
  },
};
