// NGINX: T-Pot's own web UI access log — the operator's traffic, never attacker data. Always excluded.
import { withTimestamp } from './common-event.js';
import type { Honeypot } from './honeypot.js';

export const nginx: Honeypot = {
  type: 'NGINX',
  role: 'excluded',
  interaction: 'none',
  logs: [{ path: 'nginx/log/access.log', format: 'json' }],
  fields: [],
  fromNative(record) {
    return withTimestamp({ ...record }, 'time_iso8601');
  },
  normalize() {
    return { skip: 'excluded_type' };
  },
};
