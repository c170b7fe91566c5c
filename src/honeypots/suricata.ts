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

/**
 * The alert as seen from whoever opened the flow. An alert on a reply (`direction: to_client`, Suricata 7) has the
 * responder in `src_ip`: on a flow an attacker opened, that is the honeypot; on one the sensor opened (updates, a
 * honeypot fetching an attacker's URL), a remote server that attacked no one. The flow's own addresses say who
 * opened it (the sensor or a private address is then skipped like any other). GeoIP described the responder: dropped.
 */
function fromInitiator(doc: Doc): Doc {
  const initiator = field(doc, 'flow.src_ip');
  if (text(doc, 'direction') !== 'to_client' || typeof initiator !== 'string') return doc;
  const { geoip: _responder, ...rest } = doc;
  return { ...rest, src_ip: initiator, src_port: field(doc, 'flow.src_port'), dest_port: field(doc, 'flow.dest_port') };
}

export const suricata: Honeypot = {
  type: 'Suricata',
  role: 'nsm',
  interaction: 'none',
  logs: [{ path: 'suricata/log/eve.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'event_type', 'proto', 'app_proto', 'direction', 'flow.src_ip', 'flow.src_port', 'flow.dest_port', 'alert.signature', 'alert.signature_id', 'alert.severity', 'alert.cve_id', 'alert.metadata.cve'],
  esSelect: { field: 'event_type', values: ['alert'] },
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    // Suricata sees all traffic, the operator's included: only alerts say "attack".
    if (text(doc, 'event_type') !== 'alert' || typeof field(doc, 'alert') !== 'object') return { skip: 'nsm_context' };
    const base = commonEvent('Suricata', fromInitiator(doc));
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
