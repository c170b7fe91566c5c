// Adbhoney (Android Debug Bridge, low interaction): shell commands and uploaded files.
import { downloadsIn } from './command-urls.js';
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const adbhoney: Honeypot = {
  type: 'Adbhoney',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'adbhoney/log/adbhoney.json', format: 'json' }],
  fields: ['eventid', 'src_ip', 'src_port', 'dest_port', 'timestamp', 'session', 'input', 'shasum', 'filename'],
  fromNative(record) {
    const { unixtime: _dropped, ...rest } = record;
    return withTimestamp({ ...rest }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Adbhoney', doc, { defaultDestPort: 5555 });
    if ('skip' in base) return base;
    const eventId = text(doc, 'eventid');
    const input = eventId === 'adbhoney.command.input' ? text(doc, 'input') : undefined;
    const sha256 = eventId === 'adbhoney.session.file_upload' ? text(doc, 'shasum') : undefined;
    const session = text(doc, 'session');
    const files = [...(input !== undefined ? downloadsIn(input) : []), ...(sha256 !== undefined ? [{ sha256, filename: text(doc, 'filename') }] : [])];
    return {
      ...base,
      transport: 'tcp',
      protocol: 'adb',
      ...(session !== undefined && { session }),
      ...(input !== undefined && { commands: [input] }),
      ...(files.length > 0 && { files }),
    };
  },
};
