// Cowrie (SSH/Telnet, medium interaction): logins, commands, downloads, client fingerprints.
import type { CredentialAttempt, FileTransfer } from '../attack-event.js';
import { commonEvent, renamed, withTimestamp } from './common-event.js';
import { fileNameOf, text, textOrEmpty, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const PROTOCOL_PORTS: Readonly<Record<string, number>> = { ssh: 22, telnet: 23 };

export const cowrie: Honeypot = {
  type: 'Cowrie',
  role: 'honeypot',
  interaction: 'medium',
  logs: [{ path: 'cowrie/log/cowrie.json', format: 'json' }],
  fields: ['eventid', 'src_ip', 'src_port', 'dest_port', 'timestamp', 'session', 'protocol', 'username', 'password',
    'input', 'url', 'shasum', 'filename', 'outfile', 'version', 'hassh'],

  fromNative(record) {
    return withTimestamp(renamed(record, { dst_ip: 'dest_ip', dst_port: 'dest_port' }), 'timestamp');
  },

  normalize(doc: Doc) {
    const eventId = text(doc, 'eventid') ?? '';
    // SSH port forwarding (direct-tcpip): dest_port is where the attacker asked to be forwarded, not the port it
    // attacked, which is SSH's.
    const forwarded = eventId.startsWith('cowrie.direct-tcpip');
    const protocol = forwarded ? 'ssh' : text(doc, 'protocol')?.toLowerCase();
    const base = commonEvent('Cowrie', forwarded ? { ...doc, dest_port: undefined } : doc, {
      ...(protocol !== undefined && Object.hasOwn(PROTOCOL_PORTS, protocol) && { defaultDestPort: PROTOCOL_PORTS[protocol] }),
    });
    if ('skip' in base) return base;
    const session = text(doc, 'session');
    const credentials: CredentialAttempt[] = [];
    const commands: string[] = [];
    const files: FileTransfer[] = [];
    let clientVersion: string | undefined;
    let hassh: string | undefined;

    switch (eventId) {
      case 'cowrie.login.success':
      case 'cowrie.login.failed': {
        const username = text(doc, 'username');
        // Cowrie logs an empty password as "" (a guess of its own): kept, unlike a login that logged none.
        const password = textOrEmpty(doc, 'password');
        if (username !== undefined || password !== undefined) {
          credentials.push({ username, password, success: eventId === 'cowrie.login.success' });
        }
        break;
      }
      case 'cowrie.command.input':
      case 'cowrie.command.failed': {
        const input = text(doc, 'input');
        if (input !== undefined) commands.push(input);
        break;
      }
      case 'cowrie.session.file_download':
      case 'cowrie.session.file_download.failed':
      case 'cowrie.session.file_upload': {
        const url = text(doc, 'url');
        const sha256 = text(doc, 'shasum');
        const filename = text(doc, 'filename') ?? (url !== undefined ? fileNameOf(url) : undefined);
        if (url !== undefined || sha256 !== undefined) files.push({ url, sha256, filename });
        break;
      }
      case 'cowrie.client.version':
        clientVersion = text(doc, 'version');
        break;
      case 'cowrie.client.kex':
        hassh = text(doc, 'hassh');
        break;
      default:
        break;
    }
    return {
      ...base,
      transport: 'tcp',
      ...(protocol !== undefined && { protocol }),
      ...(session !== undefined && { session }),
      ...(credentials.length > 0 && { credentials }),
      ...(commands.length > 0 && { commands }),
      ...(files.length > 0 && { files }),
      ...(clientVersion !== undefined && { clientVersion }),
      ...(hassh !== undefined && { hassh }),
    };
  },
};
