// Mailoney (SMTP open-relay lure): sender addresses attackers use.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, texts, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const MAIL_FROM_LINE = /^\s*MAIL FROM:/i;
const MAIL_FROM = /^\s*MAIL FROM:\s*<([^<>\s]{3,320})>/i;

function normalizeEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

export const mailoney: Honeypot = {
  type: 'Mailoney',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'mailoney/log/commands.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'data', 'emails'],
  fromNative(record) {
    return withTimestamp({ ...record, dest_port: 25 }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Mailoney', doc, { defaultDestPort: 25 });
    if ('skip' in base) return base;
    const data = text(doc, 'data') ?? '';
    // `emails` holds every address of the line: the sender's only on a MAIL FROM line (on RCPT TO, the victim's).
    if (!MAIL_FROM_LINE.test(data)) return { ...base, transport: 'tcp', protocol: 'smtp' };
    const fromCommand = MAIL_FROM.exec(data)?.[1];
    const senders = [...new Set([...(fromCommand !== undefined ? [fromCommand] : []), ...texts(doc, 'emails')].map(normalizeEmail))];
    return { ...base, transport: 'tcp', protocol: 'smtp', ...(senders.length > 0 && { senderEmails: senders }) };
  },
};
