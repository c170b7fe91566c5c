// Every `type` value T-Pot's Logstash stamps on a document, spelled exactly as in logstash.conf.

/** The 30 honeypots (Kibana's "Honeypot-Logs" search lists exactly these). */
export const HONEYPOT_TYPES = [
  'Adbhoney',
  'Beelzebub',
  'Ciscoasa',
  'CitrixHoneypot',
  'ConPot',
  'Cowrie',
  'Ddospot',
  'Dicompot',
  'Dionaea',
  'ElasticPot',
  'Endlessh',
  'Galah',
  'Glutton',
  'Go-pot',
  'H0neytr4p',
  'Hellpot',
  'Heralding',
  'Honeyaml',
  'Honeypots',
  'Honeytrap',
  'Ipphoney',
  'Log4pot',
  'Mailoney',
  'Medpot',
  'Miniprint',
  'RDPHoneypot',
  'Redishoneypot',
  'Sentrypeer',
  'Tanner',
  'Wordpot',
] as const;

/** Network sensors running beside the honeypots, and T-Pot's own web UI log. */
export const SENSOR_TYPES = ['Suricata', 'P0f', 'Fatt', 'NGINX'] as const;

export const ALL_TYPES = [...HONEYPOT_TYPES, ...SENSOR_TYPES] as const;
export type HoneypotType = (typeof ALL_TYPES)[number];

const byLowerCase = new Map<string, HoneypotType>(ALL_TYPES.map((t) => [t.toLowerCase(), t]));

/** Resolves a type name in any case ("cowrie", "COWRIE") to T-Pot's spelling. */
export function resolveHoneypotType(name: string): HoneypotType | undefined {
  return byLowerCase.get(name.trim().toLowerCase());
}
