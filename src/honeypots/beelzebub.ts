// Beelzebub (LLM-backed SSH/HTTP honeypot): logins and commands.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const beelzebub: Honeypot = {
  type: 'Beelzebub',
  role: 'honeypot',
  interaction: 'high',
  logs: [{ path: 'beelzebub/log/beelzebub.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'session', 'input', 'username', 'password', 'protocol'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Beelzebub', doc);
    if ('skip' in base) return base;
    const username = text(doc, 'username');
    const password = text(doc, 'password');
    const input = text(doc, 'input');
    const session = text(doc, 'session');
    const protocol = text(doc, 'protocol')?.toLowerCase();
    return {
      ...base,
      transport: 'tcp',
      ...(protocol !== undefined && { protocol }),
      ...(session !== undefined && { session }),
      ...((username !== undefined || password !== undefined) && { credentials: [{ username, password }] }),
      ...(input !== undefined && { commands: [input] }),
    };
  },
};
