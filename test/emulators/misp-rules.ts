// MISP's own validation of attributes and objects (from its PHP source, per shared/reference/misp.md §1.3, §4, §5).
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';

const DESCRIBE_TYPES = new URL('../../../shared/fixtures/misp/describeTypes-response.json', import.meta.url);
const TEMPLATES = new URL('../../../shared/reference/misp-objects/', import.meta.url);

export interface DescribeTypes {
  readonly sane_defaults: Record<string, { default_category: string; to_ids: number }>;
  readonly categories: string[];
  readonly category_type_mappings: Record<string, string[]>;
}

export const describeTypesResponse = JSON.parse(readFileSync(DESCRIBE_TYPES, 'utf8')) as { result: DescribeTypes };
const types = describeTypesResponse.result;

interface TemplateAttribute {
  readonly 'misp-attribute': string;
  readonly multiple?: boolean;
  readonly disable_correlation?: boolean;
}
export interface ObjectTemplateDefinition {
  readonly name: string;
  readonly uuid: string;
  readonly version: number;
  readonly required?: string[];
  readonly requiredOneOf?: string[];
  readonly attributes: Record<string, TemplateAttribute>;
}

export const templates = new Map<string, ObjectTemplateDefinition>(
  readdirSync(TEMPLATES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(new URL(f, TEMPLATES), 'utf8')) as ObjectTemplateDefinition)
    .map((t) => [t.uuid.toLowerCase(), t]),
);

const MAX_VALUE_BYTES = 65_535;

/** PHP's trim() (MispAttribute::beforeValidateMassage trims every value). */
function phpTrim(value: string): string {
  return value.replace(/^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g, '');
}

// AttributeValidationTool::modifyBeforeValidation, for the types a honeypot pipeline sends.
const LOWERCASED = new Set(['md5', 'sha1', 'sha256', 'sha512', 'hassh-md5', 'hasshserver-md5', 'ja3-fingerprint-md5', 'hostname', 'email', 'email-src', 'email-dst']);
// ComplexTypeTool::REFANG_REGEX_TABLE.
const REFANG_DOTS = new Set(['link', 'url', 'ip-dst', 'ip-src', 'domain|ip', 'domain', 'hostname', 'email', 'email-src', 'email-dst']);

/** The value MISP stores: trimmed, refanged, 4-byte UTF-8 as "?" (utf8mb3 columns), some types case-normalised. */
export function storedValue(type: string, value: string): string {
  let out = phpTrim(value);
  if (type === 'url' || type === 'link') out = out.replace(/^(hxxp|hxtp|htxp|meow|h\[tt\]p)/i, 'http').replace(/\[hxxp:\/\/\]/g, 'http://').replace(/\[:\]/g, ':');
  if (REFANG_DOTS.has(type)) out = out.replace(/(\[\.\]|\[dot\]|\(dot\))/g, '.');
  if (type === 'email' || type === 'email-src' || type === 'email-dst') out = out.replace(/\[@\]|\[at\]/g, '@');
  out = out.replace(/[\u{10000}-\u{10FFFF}]/gu, '?');
  if (LOWERCASED.has(type)) return out.toLowerCase();
  if (type === 'vulnerability' || type === 'weakness') return out.replace(/\u2013/g, '-').toUpperCase();
  return out;
}

/**
 * How MySQL's utf8mb3_unicode_ci (MISP's `value1` column) compares two stored values, as far as the duplicate rule
 * is concerned: case and accents do not count, nor do trailing spaces (PAD SPACE).
 */
export function collationKey(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/ +$/, '');
}

/** PHP's filter_var(FILTER_VALIDATE_URL), near enough: a scheme, a host, printable ASCII only. */
function isFilterValidUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+[\x21-\x7e]*$/i.test(value) && /^[\x21-\x7e]+$/.test(value);
}

/** AttributeValidationTool::validate: these types take any text but a line feed. */
const NO_LINE_FEED = ['url', 'uri', 'user-agent', 'filename', 'regkey', 'pdb', 'email-subject', 'target-user', 'target-machine', 'threat-actor'];
const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`, 'i');
const VALUE_FORMATS: Record<string, (v: string) => boolean> = {
  'ip-src': isIpOrCidr,
  'ip-dst': isIpOrCidr,
  md5: (v) => HEX(32).test(v),
  sha1: (v) => HEX(40).test(v),
  sha256: (v) => HEX(64).test(v),
  sha512: (v) => HEX(128).test(v),
  'hassh-md5': (v) => HEX(32).test(v),
  'ja3-fingerprint-md5': (v) => HEX(32).test(v),
  'email-src': isEmail,
  'email-dst': isEmail,
  // isPortValid: a positive integer, 1 to 65535.
  port: (v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535,
  vulnerability: (v) => /^CVE-\d{4}-\d{4,}$/i.test(v),
  AS: (v) => /^(AS)?\d+$/i.test(v),
  counter: (v) => /^\d+$/.test(v),
  integer: (v) => /^-?\d+$/.test(v),
  'size-in-bytes': (v) => /^\d+$/.test(v),
  boolean: (v) => /^(0|1|true|false)$/i.test(v),
  datetime: (v) => !Number.isNaN(Date.parse(v)),
  link: isFilterValidUrl,
  ...Object.fromEntries(NO_LINE_FEED.map((type) => [type, (v: string) => !v.includes('\n')])),
  domain: (v) => /^[a-z0-9_.-]+\.[a-z0-9-]+$/i.test(v),
  hostname: (v) => /^[a-z0-9_.-]+$/i.test(v),
};

function isIpOrCidr(v: string): boolean {
  const [ip, bits, ...rest] = v.split('/');
  if (rest.length > 0 || ip === undefined) return false;
  const version = isIP(ip);
  if (version === 0) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

function isEmail(v: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);
}

export type FieldErrors = Record<string, string[]>;

/** MISP's attribute validation: errors by field, as saveFail reports them; an empty object when valid. */
export function attributeErrors(attribute: Record<string, unknown>): FieldErrors {
  const errors: FieldErrors = {};
  const add = (field: string, message: string) => (errors[field] ??= []).push(message);
  const type = attribute['type'];
  if (type === undefined || type === null || type === '') add('type', 'No type set.');
  else if (typeof type !== 'string' || types.sane_defaults[type] === undefined) add('type', 'Invalid type.');
  const category = attribute['category'];
  if (typeof type === 'string' && types.sane_defaults[type] !== undefined) {
    const effective = typeof category === 'string' ? category : types.sane_defaults[type]!.default_category;
    if (!types.categories.includes(effective)) add('category', `Options : ${types.categories.join(', ')}`);
    else if (!(types.category_type_mappings[effective] ?? []).includes(type)) add('type', 'Options depend on the selected category.');
  }
  const value = attribute['value'];
  if (typeof value !== 'string' && typeof value !== 'number') add('value', 'Value not in the right type/format. Please double check the value or select type "other".');
  else {
    const text = typeof type === 'string' ? storedValue(type, String(value)) : phpTrim(String(value));
    if (text === '') add('value', 'Value cannot be empty.');
    // stringNotControlCharacters (PHP's ctype_cntrl).
    else if (/^[\x00-\x1f\x7f]+$/.test(text)) add('value', 'Value provided consists purely of control characters and is therefore considered to be empty.');
    else if (Buffer.byteLength(text, 'utf8') > MAX_VALUE_BYTES) {
      add('value', 'The entered string is too long and would get truncated. Please consider adding the data as an attachment instead');
    } else if (typeof type === 'string') {
      const check = VALUE_FORMATS[type];
      if (type.includes('|') && text.split('|').length !== 2) add('value', 'Composite type found but the value not in the composite (value1|value2) format.');
      else if (check !== undefined && !check(text)) add('value', 'Value not in the right type/format. Please double check the value or select type "other".');
    }
  }
  const distribution = attribute['distribution'];
  if (distribution !== undefined && !/^[0-5]$/.test(String(distribution))) add('distribution', 'Options : Your organisation only, This community only, Connected communities, All communities, Sharing group, Inherit event');
  const toIds = attribute['to_ids'];
  if (toIds !== undefined && ![true, false, 0, 1, '0', '1'].includes(toIds as never)) add('to_ids', 'Invalid to_ids value');
  const first = attribute['first_seen'];
  const last = attribute['last_seen'];
  for (const [field, v] of [['first_seen', first], ['last_seen', last]] as const) {
    if (v !== undefined && v !== null && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) add(field, 'Invalid ISO 8601 format');
  }
  if (typeof first === 'string' && typeof last === 'string' && Date.parse(last) < Date.parse(first)) add('last_seen', 'Last seen value should be greater than first seen value');
  return errors;
}

/** MISP's template checks for a known template (misp.md §5); undefined when the object conforms. */
export function objectTemplateError(object: Record<string, unknown>): string | undefined {
  const attributes = Array.isArray(object['Attribute']) ? (object['Attribute'] as Record<string, unknown>[]) : [];
  if (attributes.length === 0) return 'Could not save the object as no attributes were set.';
  for (const attribute of attributes) {
    if (typeof attribute['object_relation'] !== 'string' || attribute['object_relation'] === '') return 'Could not save object as at least one attribute has failed validation (object_relation). {"object_relation":["No object relation set."]}';
  }
  const template = typeof object['template_uuid'] === 'string' ? templates.get(object['template_uuid'].toLowerCase()) : undefined;
  if (template === undefined || String(template.version) !== String(object['template_version'] ?? '')) return undefined;
  const relations = attributes.map((a) => String(a['object_relation']));
  for (const required of template.required ?? []) {
    if (!relations.includes(required)) return `Could not save the object as a required attribute is not set (${required})`;
  }
  if (template.requiredOneOf !== undefined && !template.requiredOneOf.some((r) => relations.includes(r))) {
    return `Could not save the object as it requires at least one of the following attributes to be set: ${template.requiredOneOf.join(', ')}`;
  }
  for (const attribute of attributes) {
    const relation = String(attribute['object_relation']);
    const definition = template.attributes[relation];
    if (definition === undefined) continue; // MISP stores relations the template does not list.
    if (!definition.multiple && relations.filter((r) => r === relation).length > 1) {
      return 'Could not save the object as a unique relationship within the object was assigned to more than one attribute. This is only allowed if the multiple flag is set in the object template.';
    }
  }
  return undefined;
}
