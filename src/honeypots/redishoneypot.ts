// Redishoneypot (Redis): the commands attackers send (often cron/SSH-key persistence tricks).
import { downloadsIn } from './command-urls.js';
import { commonEvent, splitHostPort, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

// Connection bookkeeping the honeypot logs as "actions"; they are not commands an attacker typed.
const NOT_COMMANDS = new Set(['newconnect', 'closed']);

export const redishoneypot: Honeypot = {
  type: 'Redishoneypot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'redishoneypot/log/redishoneypot.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'action', 'msg'],
  fromNative(record) {
    const out: Record<string, unknown> = { ...record, dest_port: 6379 };
    if (typeof record['addr'] === 'string') {
      const { host, port } = splitHostPort(record['addr']);
      out['src_ip'] = host;
      if (port !== undefined) out['src_port'] = port;
      delete out['addr'];
    }
    withTimestamp(out, 'time', 'timestamp');
    delete out['time'];
    delete out['timestamp'];
    return out;
  },
  normalize(doc: Doc) {
    const base = commonEvent('Redishoneypot', doc, { defaultDestPort: 6379 });
    if ('skip' in base) return base;
    const action = text(doc, 'action');
    const args = text(doc, 'msg');
    const command = action !== undefined && !NOT_COMMANDS.has(action.toLowerCase()) ? (args !== undefined ? `${action} ${args}` : action) : undefined;
    const files = command !== undefined ? downloadsIn(command) : [];
    return { ...base, transport: 'tcp', protocol: 'redis', ...(command !== undefined && { commands: [command] }), ...(files.length > 0 && { files }) };
  },
};
