// Dionaea (low interaction, many services): probed services, credentials tried on them.
import type { CredentialAttempt } from '../attack-event.js';
import { commonEvent, renamed, withTimestamp } from './common-event.js';
import { text, textOrEmpty, texts, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

function stripMapped(value: unknown): unknown {
  return typeof value === 'string' && value.toLowerCase().startsWith('::ffff:') && value.includes('.') ? value.slice(7) : value;
}

/**
 * Logstash joins dionaea's credential lists into strings ("sa,sa,sa"). Pair the parts only when both sides
 * split into the same number of parts; otherwise a comma is part of a password, and the pair stays whole.
 */
function credentialsOf(doc: Doc): CredentialAttempt[] {
  const username = text(doc, 'username');
  const password = textOrEmpty(doc, 'password');
  if (username === undefined && password === undefined) return [];
  const users = username?.split(',') ?? [];
  const passwords = password?.split(',') ?? [];
  // An empty password ("" in the list) is a guess of its own: MSSQL's `sa` with none is the classic.
  if (users.length > 1 && users.length === passwords.length) {
    return users.map((u, i) => ({ username: u || undefined, password: passwords[i] })).filter((c) => c.username !== undefined || c.password);
  }
  return [{ username, password }];
}

export const dionaea: Honeypot = {
  type: 'Dionaea',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'dionaea/log/dionaea.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'connection', 'username', 'password', 'md5'],
  fromNative(record) {
    const out = renamed(record, { dst_ip: 'dest_ip', dst_port: 'dest_port' });
    out['src_ip'] = stripMapped(out['src_ip']);
    out['dest_ip'] = stripMapped(out['dest_ip']);
    const credentials = out['credentials'];
    if (typeof credentials === 'object' && credentials !== null) {
      delete out['credentials'];
      const c = credentials as Record<string, unknown>;
      const join = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(',') : v);
      if (c['username'] !== undefined) out['username'] = join(c['username']);
      if (c['password'] !== undefined) out['password'] = join(c['password']);
    }
    return withTimestamp(out, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Dionaea', doc);
    if ('skip' in base) return base;
    const protocol = text(doc, 'connection.protocol')?.toLowerCase();
    const transport = text(doc, 'connection.transport')?.toLowerCase();
    const credentials = credentialsOf(doc);
    const md5 = texts(doc, 'md5');
    return {
      ...base,
      ...(transport !== undefined && { transport }),
      ...(protocol !== undefined && { protocol }),
      ...(credentials.length > 0 && { credentials }),
      ...(md5.length > 0 && { files: md5.map((hash) => ({ md5: hash })) }),
    };
  },
};
