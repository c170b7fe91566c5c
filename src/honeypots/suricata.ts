// Suricata (network IDS beside the honeypots): alert sources, signatures and CVE ids; other events are context.
import type { IdsAlert } from '../attack-event.js';
import { commonEvent, withTimestamp } from './common-event.js';
import { field, integer, text, texts, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const CVE = /CVE[-_](\d{4})[-_](\d{4,7})/gi;

function cvesOf(doc: Doc): string[] {
  const sources = [...texts(doc, 'alert.cve_id'), ...texts(doc, 'alert.metadata.cve'), text(doc, 'alert.signature') ?? ''];
  const found = new Set<string>();
  for (const source of sources) for (const m of source.matchAll(CVE)) found.add(`CVE-${m[1]}-${m[2]}`);
  return [...found];
}

export const suricata: Honeypot = {
  type: 'Suricata',
  role: 'nsm',
  interaction: 'none',
  logs: [{ path: 'suricata/log/eve.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'event_type', 'proto', 'app_proto', 'alert.signature', 'alert.signature_id', 'alert.severity', 'alert.cve_id', 'alert.metadata.cve'],
  esSelect: { field: 'event_type', values: ['alert'] },
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    // Suricata sees all traffic, the operator's included: only alerts say "attack".
    if (text(doc, 'event_type') !== 'alert' || typeof field(doc, 'alert') !== 'object') return { skip: 'nsm_context' };
    const base = commonEvent('Suricata', doc);
    if ('skip' in base) return base;
    const signature = text(doc, 'alert.signature');
    const signatureId = integer(doc, 'alert.signature_id');
    const severity = integer(doc, 'alert.severity');
    const alerts: IdsAlert[] = signature !== undefined ? [{ signature, ...(signatureId !== undefined && { signatureId }), ...(severity !== undefined && { severity }) }] : [];
    const cves = cvesOf(doc);
    const transport = text(doc, 'proto')?.toLowerCase();
    const protocol = text(doc, 'app_proto')?.toLowerCase();
    return {
      ...base,
      ...(transport !== undefined && { transport }),
      ...(protocol !== undefined && protocol !== 'failed' && { protocol }),
      ...(alerts.length > 0 && { alerts }),
      ...(cves.length > 0 && { cves }),
    };
  },
};
