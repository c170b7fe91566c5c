// The official misp-objects templates this project fills, with the identity MISP checks them by.
// Values copied from MISP/misp-objects (objects/<name>/definition.json), see shared/reference/misp-objects.

export interface ObjectTemplate {
  readonly name: string;
  readonly uuid: string;
  readonly version: string;
  readonly metaCategory: string;
  readonly description: string;
  /**
   * Relations the template marks `disable_correlation`: values every object shares (an event id, a protocol, a
   * credential's type) that would link every daily event to every other. PyMISP applies them; so does this project.
   */
  readonly uncorrelated: readonly string[];
}

export const OBJECT_TEMPLATES = {
  cowrie: {
    name: 'cowrie',
    uuid: 'ae085d32-6534-4d52-b3eb-063fccb753e7',
    version: '3',
    metaCategory: 'network',
    description: 'Cowrie honeypot object template',
    uncorrelated: ['compCS', 'dst_ip', 'dst_port', 'encCS', 'eventid', 'isError', 'keyAlgs', 'macCS', 'message', 'protocol', 'sensor', 'src_port', 'system', 'timestamp'],
  },
  'ip-port': {
    name: 'ip-port',
    uuid: '9f8cea74-16fe-4968-a2b4-026676949ac6',
    version: '10',
    metaCategory: 'network',
    description: 'An IP address (or domain or hostname) and a port seen as a tuple (or as a triple) in a specific time frame.',
    uncorrelated: ['AS', 'country-code', 'dst-port', 'first-seen', 'last-seen', 'protocol', 'src-port', 'text'],
  },
  file: {
    name: 'file',
    uuid: '688c46fb-5edb-40a3-8273-1af7923e2215',
    version: '25',
    metaCategory: 'file',
    description: 'File object describing a file with meta-information',
    uncorrelated: ['entropy', 'file-encoding', 'filename', 'magic', 'mimetype', 'path', 'size-in-bytes', 'state', 'text'],
  },
  credential: {
    name: 'credential',
    uuid: 'a27e98c9-9b0e-414c-8076-d201e039ca09',
    version: '5',
    metaCategory: 'misc',
    description: 'Credential describes one or more credential(s) including password(s), api key(s) or decryption key(s).',
    uncorrelated: ['format', 'notification', 'origin', 'text', 'type', 'use-at'],
  },
  'command-line': {
    name: 'command-line',
    uuid: '88ebe222-d3cc-11e9-875d-7f13f460adaf',
    version: '2',
    metaCategory: 'misc',
    description: 'Command line and options related to a specific command executed by a program, whether it is malicious or not.',
    uncorrelated: [],
  },
  'virustotal-report': {
    name: 'virustotal-report',
    uuid: 'd7dd0154-e04f-4c34-a2fb-79f3a3a52aa4',
    version: '5',
    metaCategory: 'misc',
    description: 'VirusTotal report',
    uncorrelated: ['comment', 'community-score', 'detection-ratio', 'first-submission', 'last-submission', 'permalink'],
  },
  abuseipdb: {
    name: 'abuseipdb',
    uuid: 'cccdaaf6-c140-461c-8d1c-aa79bbd029e0',
    version: '1',
    metaCategory: 'network',
    description: 'AbuseIPDB checks an ip address, domain name, or subnet against a central blacklist',
    uncorrelated: [],
  },
  'greynoise-ip': {
    name: 'greynoise-ip',
    uuid: '6B14A94A-46E4-4B82-B24D-0DBF8E8B3FD9',
    version: '2',
    metaCategory: 'network',
    description: 'GreyNoise IP Information',
    uncorrelated: ['actor', 'asn', 'bot', 'classification', 'first-seen', 'last-seen', 'link', 'noise', 'provider', 'rdns_parent', 'riot', 'source_country', 'tor', 'trust-level', 'vpn'],
  },
} as const satisfies Record<string, ObjectTemplate>;

export type ObjectTemplateName = keyof typeof OBJECT_TEMPLATES;
