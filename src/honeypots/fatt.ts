// Fatt (protocol fingerprints: JA3, HASSH, RDP): network context, recognised and skipped.
import { renamed, withTimestamp } from './common-event.js';
import type { Honeypot } from './honeypot.js';

export const fatt: Honeypot = {
  type: 'Fatt',
  role: 'nsm',
  interaction: 'none',
  logs: [{ path: 'fatt/log/fatt.log', format: 'json' }],
  fields: [],
  esSelect: 'none',
  fromNative(record) {
    return withTimestamp(
      renamed(record, {
        sourceIp: 'src_ip', destinationIp: 'dest_ip', sourcePort: 'src_port', destinationPort: 'dest_port',
        gquic: 'fatt_gquic', http: 'fatt_http', rdp: 'fatt_rdp', ssh: 'fatt_ssh', tls: 'fatt_tls',
      }),
      'timestamp',
    );
  },
  normalize() {
    return { skip: 'nsm_context' };
  },
};
