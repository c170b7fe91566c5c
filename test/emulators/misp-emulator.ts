// An in-process emulator of MISP's REST API for tests and benchmarks: MISP's behaviour per shared/reference/misp.md,
// every request body checked against MISP's OpenAPI spec, every request counted.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { attributeErrors, collationKey, describeTypesResponse, objectTemplateError, storedValue, type FieldErrors } from './misp-rules.js';
import { OpenApiValidator, type SchemaName } from './openapi-validator.js';

export interface MispEmulatorOptions {
  readonly port?: number;
  /** 40 alphanumeric characters; a fixed test key by default. */
  readonly apiKey?: string;
  readonly version?: string;
  /** MISP.enableEventBlocklisting (on unless set to false): a deleted event's UUID is blocklisted, never re-created. */
  readonly eventBlocklisting?: boolean;
  /**
   * Each write is answered this long after it was applied (a real MISP validates, correlates and logs every item:
   * seconds per batch), while reads answer at once and other requests run meanwhile, as on MISP's PHP workers.
   */
  readonly writeLatencyMs?: number;
}

export interface StoredAttribute {
  id: string;
  event_id: string;
  object_id: string;
  uuid: string;
  type: string;
  category: string;
  value: string;
  to_ids: boolean;
  comment: string;
  distribution: string;
  timestamp: string;
  deleted: boolean;
  disable_correlation: boolean;
  object_relation: string | null;
  first_seen: string | null;
  last_seen: string | null;
  Tag: { name: string }[];
}

export interface StoredObject {
  id: string;
  event_id: string;
  uuid: string;
  name: string;
  'meta-category': string;
  description: string;
  template_uuid: string;
  template_version: string;
  comment: string;
  distribution: string;
  timestamp: string;
  deleted: boolean;
  first_seen: string | null;
  last_seen: string | null;
  Attribute: StoredAttribute[];
  ObjectReference: StoredReference[];
}

/** MISP's ObjectReference: from an object to an attribute or object of the same event. */
export interface StoredReference {
  uuid: string;
  object_uuid: string;
  referenced_uuid: string;
  referenced_type: '0' | '1';
  relationship_type: string;
}

export interface MispStoredEvent {
  id: string;
  uuid: string;
  info: string;
  date: string;
  distribution: string;
  threat_level_id: string;
  analysis: string;
  published: boolean;
  timestamp: string;
  publish_timestamp: string;
  orgc_id: string;
  org_id: string;
  Tag: { name: string }[];
  Attribute: StoredAttribute[];
  Object: StoredObject[];
}

export interface MispEmulator {
  readonly url: string;
  readonly apiKey: string;
  requestCounts(): Record<string, number>;
  totalRequests(): number;
  /** Requests that change something (everything but reads and searches). */
  writeRequests(): number;
  /** The requests the emulator is answering now, and the most it was answering at one time. */
  concurrentRequests(): { readonly now: number; readonly peak: number };
  /** Request bodies that did not validate against misp-openapi.yaml. Tests assert this stays empty. */
  readonly specViolations: readonly { endpoint: string; errors: string }[];
  /**
   * What real MISP takes without a word but does not do as asked; only its audit log would tell. An event edit
   * answers 200 yet drops every attribute that fails validation or the duplicate rule (MispAttribute::editAttributeBulk,
   * logDropped), saves objects without their failing attributes, and never checks object templates. A client cannot
   * see these, so tests assert this stays empty.
   */
  readonly unreported: readonly { endpoint: string; uuid: string; problem: string }[];
  events(): MispStoredEvent[];
  /** The next `count` requests (optionally under `pathPrefix`) answer `status`, or lose their connection. */
  injectFaults(spec: { count: number; status?: number; pathPrefix?: string; dropConnection?: boolean }): void;
  /** Every request until `untilMs` (epoch ms) answers `status` (503 by default): MISP down for a while. */
  outage(untilMs: number, status?: number): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const DEFAULT_KEY = 'Tpot2MispTestKey0123456789abcdefghijklmn';
const AUTH_MESSAGE = 'Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESTSEARCH_NO_PARAMETERS = 'Restsearch queries using GET and no parameters are not allowed. If you have passed parameters via a JSON body, make sure you use POST requests.';
/** The one user of the emulator, as `GET /users/view/me` returns it (UsersController::view, REST mode). */
const USER = {
  User: {
    id: '1', org_id: '1', email: 'admin@admin.test', autoalert: false, invited_by: '0', gpgkey: null, certif_public: null, nids_sid: '4000000',
    termsaccepted: true, newsread: '0', role_id: '1', change_pw: '0', contactalert: false, disabled: false, expiration: null,
    current_login: '0', last_login: '0', force_logout: false, date_created: '1700000000', date_modified: '1700000000', password: '*****',
  },
  Role: {
    id: '1', name: 'admin', perm_add: true, perm_modify: true, perm_modify_org: true, perm_publish: true, perm_delegate: true, perm_sync: false,
    perm_admin: true, perm_audit: true, perm_auth: true, perm_site_admin: true, perm_regexp_access: true, perm_tagger: true, perm_template: true,
    perm_sharing_group: true, perm_tag_editor: true, perm_sighting: true, perm_object_template: true, default_role: false, memory_limit: '',
    max_execution_time: '', restricted_to_site_admin: false, perm_publish_zmq: true, perm_publish_kafka: true, perm_decaying: true,
    enforce_rate_limit: false, rate_limit_count: '0', perm_galaxy_editor: true, perm_warninglist: true, perm_view_feed_correlations: true,
    perm_analyst_data: true, perm_skip_otp: false, perm_server_sign: false, perm_sync_authoritative: false, perm_sync_internal: false,
  },
  UserSetting: [],
  Organisation: { id: '1', name: 'ORGNAME', uuid: '5f1ab4b0-1c3e-4d5a-9b2c-3d4e5f6a7b8c', local: true },
} as const;
const READS = new Set(['GET /servers/getVersion', 'GET /servers/getPyMISPVersion', 'GET /users/view/me', 'GET /attributes/describeTypes', 'GET /events/view/{id}', 'POST /events/restSearch', 'POST /attributes/restSearch']);

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

function saveFail(action: string, url: string, errors: unknown): HttpAnswer {
  const name = `Could not ${action}`;
  return new HttpAnswer(403, { saved: false, name, message: name, url, errors });
}

function now(): string {
  return String(Math.floor(Date.now() / 1000));
}

export async function startMispEmulator(options: MispEmulatorOptions = {}): Promise<MispEmulator> {
  const apiKey = options.apiKey ?? DEFAULT_KEY;
  const version = options.version ?? '2.5.1';
  const spec = new OpenApiValidator();
  const counts: Record<string, number> = {};
  let total = 0;
  let writes = 0;
  const violations: { endpoint: string; errors: string }[] = [];
  const unreported: { endpoint: string; uuid: string; problem: string }[] = [];
  const faults: { count: number; status?: number; pathPrefix?: string; dropConnection?: boolean }[] = [];
  let outage: { untilMs: number; status: number } | undefined;
  const events = new Map<string, MispStoredEvent>();
  const attributesByUuid = new Map<string, StoredAttribute>();
  /** `<event id>|type|category|<collation key of the value>` of standalone attributes: MISP's duplicate rule, without a scan. */
  const standaloneByValue = new Map<string, StoredAttribute>();
  const objectsByUuid = new Map<string, StoredObject>();
  /** Tag names MISP holds (lowercase): created when first attached, kept when detached. */
  const knownTags = new Set<string>();
  /** UUIDs of deleted events (MISP's event_blocklists), when blocklisting is on. */
  const blocklisted = new Set<string>();
  const noted = <T extends { name: string }>(tags: T[]): T[] => {
    for (const tag of tags) knownTags.add(tag.name.trim().toLowerCase());
    return tags;
  };
  let nextId = 1;

  const eventFor = (ref: string): MispStoredEvent | undefined => (UUID.test(ref) ? [...events.values()].find((e) => e.uuid === ref.toLowerCase()) : events.get(ref));

  function specCheck(endpoint: string, schema: SchemaName, value: unknown): string | undefined {
    const errors = spec.check(schema, value);
    if (errors !== undefined) violations.push({ endpoint, errors });
    return errors;
  }

  function newAttribute(event: MispStoredEvent, input: Json, objectId = '0'): StoredAttribute {
    const type = String(input['type']);
    const defaults = describeTypesResponse.result.sane_defaults[type]!;
    return {
      id: String(nextId++),
      event_id: event.id,
      object_id: objectId,
      uuid: typeof input['uuid'] === 'string' ? input['uuid'].toLowerCase() : randomUUID(),
      type,
      category: typeof input['category'] === 'string' ? input['category'] : defaults.default_category,
      value: storedValue(type, String(input['value'])),
      to_ids: input['to_ids'] === undefined ? defaults.to_ids === 1 : [true, 1, '1'].includes(input['to_ids'] as never),
      comment: typeof input['comment'] === 'string' ? input['comment'] : '',
      distribution: input['distribution'] === undefined ? '5' : String(input['distribution']),
      timestamp: typeof input['timestamp'] === 'string' && /^\d+$/.test(input['timestamp']) ? input['timestamp'] : now(),
      // Sync and edits carry soft deletions as `deleted: true`.
      deleted: input['deleted'] === true || input['deleted'] === 1 || input['deleted'] === '1',
      disable_correlation: input['disable_correlation'] === true,
      object_relation: typeof input['object_relation'] === 'string' ? input['object_relation'] : null,
      first_seen: typeof input['first_seen'] === 'string' ? input['first_seen'] : null,
      last_seen: typeof input['last_seen'] === 'string' ? input['last_seen'] : null,
      Tag: noted(Array.isArray(input['Tag']) ? (input['Tag'] as Json[]).map((t) => ({ name: String(t['name']) })) : []),
    };
  }

  const duplicateKeyOf = (a: StoredAttribute): string => `${a.event_id}|${a.type}|${a.category}|${collationKey(a.value)}`;

  /** Adds a standalone attribute with MISP's checks: field validation, uuid uniqueness, the duplicate rule. */
  function addAttribute(event: MispStoredEvent, input: Json, breakOnDuplicate: boolean): FieldErrors | StoredAttribute {
    const errors = attributeErrors(input);
    if (typeof input['uuid'] === 'string') {
      if (!UUID.test(input['uuid'])) (errors['uuid'] ??= []).push('Please provide a valid RFC 4122 UUID');
      else if (attributesByUuid.has(input['uuid'].toLowerCase())) (errors['uuid'] ??= []).push('The UUID provided is not unique');
    }
    if (Object.keys(errors).length > 0) return errors;
    const attribute = newAttribute(event, input);
    const duplicateKey = duplicateKeyOf(attribute);
    const candidate = standaloneByValue.get(duplicateKey);
    const duplicate = candidate !== undefined && !candidate.deleted ? candidate : undefined;
    if (duplicate !== undefined) {
      if (breakOnDuplicate) return { value: ['A similar attribute already exists for this event.'] };
      duplicate.timestamp = now();
      return duplicate;
    }
    event.Attribute.push(attribute);
    attributesByUuid.set(attribute.uuid, attribute);
    standaloneByValue.set(duplicateKey, attribute);
    return attribute;
  }

  /**
   * Creates or (same uuid, same event) updates an object. `objects/add` checks its template and refuses it whole
   * when an attribute fails validation; an event edit (`quiet`) does neither: it saves the object without the failing
   * attributes, and the emulator notes in `unreported` what MISP let pass or dropped.
   */
  function upsertObject(event: MispStoredEvent, input: Json, quiet?: { endpoint: string }): string | StoredObject {
    const uuidOf = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '');
    const templateError = objectTemplateError(input);
    if (templateError !== undefined) {
      if (quiet === undefined) return templateError;
      unreported.push({ endpoint: quiet.endpoint, uuid: uuidOf(input['uuid']), problem: `stored off its template: ${templateError}` });
    }
    const inputs: Json[] = [];
    for (const [index, attribute] of (Array.isArray(input['Attribute']) ? (input['Attribute'] as Json[]) : []).entries()) {
      const errors = attributeErrors(attribute);
      if (Object.keys(errors).length === 0) inputs.push(attribute);
      else if (quiet === undefined) return `Could not save object as at least one attribute has failed validation (${String(attribute['object_relation'] ?? index)}). ${JSON.stringify(errors)}`;
      else unreported.push({ endpoint: quiet.endpoint, uuid: uuidOf(attribute['uuid']), problem: `object attribute dropped: ${JSON.stringify(errors)}` });
    }
    const uuid = typeof input['uuid'] === 'string' ? input['uuid'].toLowerCase() : randomUUID();
    const existing = objectsByUuid.get(uuid);
    if (existing !== undefined && existing.event_id !== event.id) return `Could not save object as at least one attribute has failed validation (uuid). {"uuid":["The UUID provided is not unique"]}`;
    const object: StoredObject = existing ?? {
      id: String(nextId++), event_id: event.id, uuid, name: String(input['name']), 'meta-category': String(input['meta-category'] ?? ''),
      description: String(input['description'] ?? ''), template_uuid: String(input['template_uuid'] ?? ''), template_version: String(input['template_version'] ?? ''),
      comment: '', distribution: '5', timestamp: now(), deleted: false, first_seen: null, last_seen: null, Attribute: [], ObjectReference: [],
    };
    object.comment = typeof input['comment'] === 'string' ? input['comment'] : object.comment;
    object.distribution = input['distribution'] === undefined ? object.distribution : String(input['distribution']);
    object.first_seen = typeof input['first_seen'] === 'string' ? input['first_seen'] : object.first_seen;
    object.last_seen = typeof input['last_seen'] === 'string' ? input['last_seen'] : object.last_seen;
    object.timestamp = now();
    for (const attributeInput of inputs) {
      const before = object.Attribute.findIndex((a) => a.uuid === uuidOf(attributeInput['uuid']));
      const previous = before >= 0 ? object.Attribute[before] : undefined;
      // MispObject::editObject → MispAttribute::editAttribute: a field the edit leaves out (to_ids, deleted…) keeps its
      // value, the tags stay (an edit adds those it names), and the attributes of a deleted object are deleted.
      const tags = [...(previous?.Tag ?? [])];
      for (const tag of Array.isArray(attributeInput['Tag']) ? (attributeInput['Tag'] as Json[]) : []) {
        if (!tags.some((t) => t.name === String(tag['name']))) tags.push({ name: String(tag['name']) });
      }
      const merged = previous === undefined ? attributeInput : { ...previous, ...attributeInput, deleted: attributeInput['deleted'] ?? previous.deleted, Tag: tags };
      const attribute = newAttribute(event, merged, object.id);
      if (previous !== undefined) attribute.id = previous.id;
      if (object.deleted) attribute.deleted = true;
      if (previous !== undefined) object.Attribute[before] = attribute;
      else object.Attribute.push(attribute);
      attributesByUuid.set(attribute.uuid, attribute);
    }
    if (existing === undefined) {
      event.Object.push(object);
      objectsByUuid.set(uuid, object);
    }
    // ObjectReference::captureReference: the referenced attribute or object must already be in this event
    // (otherwise the reference is not saved); a reference with a known uuid is updated.
    for (const reference of Array.isArray(input['ObjectReference']) ? (input['ObjectReference'] as Json[]) : []) {
      const target = String(reference['referenced_uuid'] ?? '').toLowerCase();
      const attribute = attributesByUuid.get(target);
      const referencedObject = objectsByUuid.get(target);
      const referencedType = attribute !== undefined && attribute.event_id === event.id ? '0' : referencedObject !== undefined && referencedObject.event_id === event.id ? '1' : undefined;
      if (referencedType === undefined || typeof reference['relationship_type'] !== 'string') continue;
      const stored: StoredReference = {
        uuid: typeof reference['uuid'] === 'string' ? reference['uuid'].toLowerCase() : randomUUID(),
        object_uuid: object.uuid,
        referenced_uuid: target,
        referenced_type: referencedType,
        relationship_type: reference['relationship_type'],
      };
      const before = object.ObjectReference.findIndex((r) => r.uuid === stored.uuid);
      if (before >= 0) object.ObjectReference[before] = stored;
      else object.ObjectReference.push(stored);
    }
    return object;
  }

  /**
   * EventsController::delete: the event and everything in it is gone (hard delete), and with blocklisting on (MISP's
   * default) its UUID can never be added again (Event::beforeDelete).
   */
  function deleteEvent(ref: string): HttpAnswer {
    const event = eventFor(ref);
    if (event === undefined) return saveFail('delete Events', '/events/delete', 'Event was not deleted.');
    events.delete(event.id);
    for (const attribute of allAttributes(event)) {
      attributesByUuid.delete(attribute.uuid);
      if (standaloneByValue.get(duplicateKeyOf(attribute)) === attribute) standaloneByValue.delete(duplicateKeyOf(attribute));
    }
    for (const object of event.Object) objectsByUuid.delete(object.uuid);
    if (options.eventBlocklisting !== false) blocklisted.add(event.uuid);
    return new HttpAnswer(200, { saved: true, success: true, name: 'Event deleted.', message: 'Event deleted.', url: `/events/delete/${ref}`, id: event.id });
  }

  function unwrap(body: unknown, key: string): unknown {
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const record = body as Json;
      if (record['request'] !== undefined) return unwrap(record['request'], key);
      if (record['response'] !== undefined) return unwrap(record['response'], key);
      if (record[key] !== undefined) return record[key];
    }
    return body;
  }

  function addEvent(body: unknown): HttpAnswer {
    const input = unwrap(body, 'Event');
    if (input === null || typeof input !== 'object' || Array.isArray(input) || Object.keys(input).length === 0) {
      return new HttpAnswer(405, { name: 'No valid event data received.', message: 'No valid event data received.', url: '/events/add' });
    }
    const event = input as Json;
    const specErrors = specCheck('POST /events/add', 'EventNoId', event);
    if (specErrors !== undefined) return saveFail('add Event', '/events/add', { Event: [specErrors] });
    const problems: FieldErrors = {};
    if (typeof event['info'] !== 'string' || event['info'].trim() === '') problems['info'] = ['Info cannot be empty.'];
    if (event['date'] !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(event['date']))) problems['date'] = ['Expected date format: YYYY-MM-DD'];
    if (event['distribution'] !== undefined && !/^[0-4]$/.test(String(event['distribution']))) problems['distribution'] = ['Options : Your organisation only, This community only, Connected communities, All communities, Sharing group'];
    if (typeof event['uuid'] === 'string') {
      // Event::_add checks the blocklist first (EventsController::add throws ForbiddenException on 'Blocked by blocklist').
      if (blocklisted.has(event['uuid'].toLowerCase())) {
        const message = 'Event blocked by event blocklist.';
        return new HttpAnswer(403, { name: message, message, url: '/events/add' });
      }
      const existing = eventFor(event['uuid']);
      if (existing !== undefined) {
        const message = 'Event already exists, if you would like to edit it, use the url in the location header.';
        return new HttpAnswer(404, { name: message, message, url: '/events/add' }, { location: `${server.url}/events/${existing.id}` });
      }
    }
    if (Object.keys(problems).length > 0) return saveFail('add Event', '/events/add', problems);
    const stored: MispStoredEvent = {
      id: String(nextId++),
      uuid: typeof event['uuid'] === 'string' ? event['uuid'].toLowerCase() : randomUUID(),
      info: String(event['info']),
      date: typeof event['date'] === 'string' ? event['date'] : new Date().toISOString().slice(0, 10),
      distribution: event['distribution'] === undefined ? '0' : String(event['distribution']),
      threat_level_id: event['threat_level_id'] === undefined ? '4' : String(event['threat_level_id']),
      analysis: event['analysis'] === undefined ? '0' : String(event['analysis']),
      published: event['published'] === true,
      timestamp: now(),
      publish_timestamp: '0',
      orgc_id: '1',
      org_id: '1',
      Tag: [],
      Attribute: [],
      Object: [],
    };
    events.set(stored.id, stored);
    const errors = applyContent(stored, event, 'POST /events/add');
    return new HttpAnswer(200, { Event: stored, ...(errors.length > 0 && { errors }) });
  }

  /**
   * Inline tags, attributes and objects of an events/add or events/edit body (merged by uuid). What fails is
   * returned; an edit (`quiet`) drops it instead and answers as if all went well, as MISP does.
   */
  function applyContent(event: MispStoredEvent, input: Json, endpoint: string, quiet = false): string[] {
    const problems: string[] = [];
    let changed = false;
    const errors = {
      push(problem: string, uuid: unknown = ''): void {
        if (quiet) unreported.push({ endpoint, uuid: typeof uuid === 'string' ? uuid.toLowerCase() : '', problem });
        else problems.push(problem);
      },
    };
    for (const tag of Array.isArray(input['Tag']) ? (input['Tag'] as Json[]) : []) {
      if (specCheck(endpoint, 'TagNoId', tag) !== undefined) continue;
      if (typeof tag['name'] === 'string' && !event.Tag.some((t) => t.name.toLowerCase() === String(tag['name']).toLowerCase())) event.Tag.push(...noted([{ name: tag['name'] }]));
    }
    for (const attribute of Array.isArray(input['Attribute']) ? (input['Attribute'] as Json[]) : []) {
      const specErrors = specCheck(endpoint, 'AttributeNoId', attribute);
      if (specErrors !== undefined) {
        errors.push(specErrors, attribute['uuid']);
        continue;
      }
      const existing = typeof attribute['uuid'] === 'string' ? attributesByUuid.get(attribute['uuid'].toLowerCase()) : undefined;
      if (existing !== undefined) {
        if (existing.event_id !== event.id) {
          // MispAttribute::editAttribute: logged as "Duplicate UUID found in attribute", nothing saved.
          errors.push(`Attribute ${existing.uuid} belongs to another event`, existing.uuid);
          continue;
        }
        const fieldErrors = attributeErrors({ ...existing, ...attribute });
        // The duplicate rule, against every other attribute of the event (findAttributeByValue excludes its own id).
        const updated = newAttribute(event, { ...existing, ...attribute }, existing.object_id);
        const twin = existing.object_id === '0' && !updated.deleted ? standaloneByValue.get(duplicateKeyOf(updated)) : undefined;
        if (twin !== undefined && twin !== existing && !twin.deleted) (fieldErrors['value'] ??= []).push('A similar attribute already exists for this event.');
        if (Object.keys(fieldErrors).length > 0) {
          errors.push(JSON.stringify(fieldErrors), existing.uuid);
          continue;
        }
        if (existing.object_id === '0') {
          if (standaloneByValue.get(duplicateKeyOf(existing)) === existing) standaloneByValue.delete(duplicateKeyOf(existing));
        }
        // An edit adds the tags it names; MISP never removes an attribute's tags on edit.
        const tags = [...existing.Tag];
        for (const tag of Array.isArray(attribute['Tag']) ? (attribute['Tag'] as Json[]) : []) {
          if (!tags.some((t) => t.name === String(tag['name']))) tags.push(...noted([{ name: String(tag['name']) }]));
        }
        Object.assign(existing, newAttribute(event, { ...existing, ...attribute, deleted: attribute['deleted'] ?? existing.deleted }, existing.object_id), { id: existing.id, timestamp: now(), Tag: tags });
        if (existing.object_id === '0') standaloneByValue.set(duplicateKeyOf(existing), existing);
        changed = true;
        continue;
      }
      const result = addAttribute(event, attribute, true);
      if (!('id' in result)) errors.push(JSON.stringify(result), attribute['uuid']);
      else changed = true;
    }
    for (const object of Array.isArray(input['Object']) ? (input['Object'] as Json[]) : []) {
      const specErrors = specCheck(endpoint, 'Object', object);
      if (specErrors !== undefined) {
        errors.push(specErrors, object['uuid']);
        continue;
      }
      const result = upsertObject(event, object, quiet ? { endpoint } : undefined);
      if (typeof result === 'string') errors.push(result, object['uuid']);
      else changed = true;
    }
    if (changed) event.published = false;
    return problems;
  }

  function editEvent(ref: string, body: unknown, metadataOnly: boolean): HttpAnswer {
    const event = eventFor(ref);
    if (event === undefined) return new HttpAnswer(404, { name: 'Invalid event', message: 'Invalid event', url: `/events/edit/${ref}` });
    const input = unwrap(body, 'Event');
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return saveFail('edit Event', `/events/edit/${ref}`, 'No valid event data received.');
    const specErrors = specCheck('POST /events/edit/{id}', 'EventNoId', input);
    if (specErrors !== undefined) return saveFail('edit Event', `/events/edit/${ref}`, { Event: [specErrors] });
    const record = input as Json;
    if (record['timestamp'] !== undefined && Number(record['timestamp']) <= Number(event.timestamp)) {
      return saveFail('edit Event', `/events/edit/${ref}`, 'Event could not be saved: Event in the request not newer than the local copy.');
    }
    // Event::_edit answers 200 whatever it dropped on the way.
    applyContent(event, record, 'POST /events/edit/{id}', true);
    event.timestamp = now();
    if (metadataOnly) {
      const { Attribute: _attributes, Object: _objects, ...metadata } = event;
      return new HttpAnswer(200, { Event: metadata });
    }
    return new HttpAnswer(200, { Event: event });
  }

  function addAttributes(ref: string, body: unknown, breakOnDuplicate: boolean): HttpAnswer {
    const url = `/attributes/add/${ref}`;
    const event = eventFor(ref);
    if (event === undefined) return new HttpAnswer(404, { name: 'Invalid event', message: 'Invalid event', url });
    const unwrapped = unwrap(body, 'Attribute');
    const list = Array.isArray(unwrapped) ? (unwrapped as Json[]) : [unwrapped as Json];
    const saved: StoredAttribute[] = [];
    const errors: Record<string, FieldErrors> = {};
    list.forEach((item, index) => {
      const specErrors = specCheck('POST /attributes/add/{id}', 'AttributeNoId', item);
      // MISP's own message wins where both object; a body only the spec rejects is still refused.
      const fieldErrors = attributeErrors(item);
      if (specErrors !== undefined && Object.keys(fieldErrors).length === 0) {
        errors[`attribute_${index}`] = { spec: [specErrors] };
        return;
      }
      const result = addAttribute(event, item, breakOnDuplicate);
      if ('id' in result) saved.push(result as StoredAttribute);
      else errors[`attribute_${index}`] = result;
    });
    if (saved.length > 0) event.published = false;
    if (list.length === 1) {
      return saved.length === 1 ? new HttpAnswer(200, { Attribute: saved[0], AttributeTag: [] }) : saveFail('add Attribute', '/attributes/add', errors['attribute_0']);
    }
    if (saved.length === 0) return saveFail('add Attribute', '/attributes/add', errors);
    const hasErrors = Object.keys(errors).length > 0;
    if (saved.length === 1) return new HttpAnswer(200, { Attribute: saved[0], AttributeTag: [], ...(hasErrors && { errors }) });
    return new HttpAnswer(200, { Attribute: saved, ...(hasErrors && { errors }) });
  }

  /**
   * A restSearch filter value (misp.md §3.4): a value or a list (OR); a `!` prefix negates; a string that starts or ends
   * with `%` is a LIKE pattern. True when `candidates` satisfy it (some candidate matches a positive term, none a negated one).
   */
  function filterMatches(filter: unknown, candidates: readonly string[], caseInsensitive = false): boolean {
    if (filter === undefined || filter === null) return true;
    if (typeof filter === 'object' && !Array.isArray(filter)) {
      // The complex form {"OR":[…],"AND":[…],"NOT":[…]} (PyMISP's build_complex_query).
      const complex = filter as Json;
      const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
      const or = list(complex['OR']);
      return (
        (or.length === 0 || filterMatches(or, candidates, caseInsensitive)) &&
        list(complex['AND']).every((term) => filterMatches(term, candidates, caseInsensitive)) &&
        !list(complex['NOT']).some((term) => filterMatches(term, candidates, caseInsensitive))
      );
    }
    const terms = (Array.isArray(filter) ? filter : [filter]).map((t) => String(t));
    const fold = (v: string) => (caseInsensitive ? v.toLowerCase() : v);
    const hits = (term: string) => {
      if (term.startsWith('%') || term.endsWith('%')) {
        const pattern = new RegExp(`^${term.split('%').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'is');
        return candidates.some((c) => pattern.test(c));
      }
      return candidates.some((c) => fold(c) === fold(term));
    };
    const positives = terms.filter((t) => !t.startsWith('!'));
    const negatives = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1));
    return (positives.length === 0 || positives.some(hits)) && !negatives.some(hits);
  }

  const flag = (value: unknown): boolean | undefined => (value === undefined || value === null ? undefined : [true, 1, '1', 'true'].includes(value as never));
  const allAttributes = (event: MispStoredEvent): StoredAttribute[] => [...event.Attribute, ...event.Object.flatMap((o) => o.Attribute)];

  /** Attribute-level filters of restSearch (value, type, category, to_ids, uuid for attributes); one attribute must match all. */
  function attributeMatches(attribute: StoredAttribute, filter: Json, includeUuid: boolean): boolean {
    const values = attribute.type.includes('|') ? [attribute.value, ...attribute.value.split('|')] : [attribute.value];
    const toIds = flag(filter['to_ids']);
    return (
      !attribute.deleted &&
      filterMatches(filter['value'], values) &&
      filterMatches(filter['type'], [attribute.type]) &&
      filterMatches(filter['category'], [attribute.category]) &&
      (!includeUuid || filterMatches(filter['uuid'], [attribute.uuid], true)) &&
      (toIds === undefined || attribute.to_ids === toIds)
    );
  }

  const hasAttributeFilter = (filter: Json) => ['value', 'type', 'category', 'to_ids'].some((k) => filter[k] !== undefined && filter[k] !== null);

  /** Event-level filters shared by both restSearch scopes. */
  function eventMatches(event: MispStoredEvent, filter: Json): boolean {
    const published = flag(filter['published']);
    // from/to compare Event.date: YYYY-MM-DD, or a unix timestamp that MISP converts to a date.
    const day = (v: unknown): string | undefined =>
      typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : /^\d+$/.test(String(v ?? '')) ? new Date(Number(v) * 1000).toISOString().slice(0, 10) : undefined;
    const from = day(filter['from']);
    const to = day(filter['to']);
    return (
      filterMatches(filter['eventid'], [event.id, event.uuid], true) &&
      filterMatches(filter['eventinfo'], [event.info], true) &&
      filterMatches(filter['tags'] ?? filter['event_tags'] ?? filter['tag'], event.Tag.map((t) => t.name), true) &&
      filterMatches(filter['threat_level_id'], [event.threat_level_id]) &&
      (from === undefined || event.date >= from) &&
      (to === undefined || event.date <= to) &&
      (Array.isArray(filter['published']) || published === undefined || event.published === published)
    );
  }

  function page<T>(items: T[], filter: Json): T[] {
    const limit = Number(filter['limit']);
    if (!Number.isInteger(limit) || limit <= 0) return items;
    const pageNumber = Math.max(1, Number(filter['page']) || 1);
    return items.slice((pageNumber - 1) * limit, pageNumber * limit);
  }

  function unsupportedFormat(filter: Json, url: string): HttpAnswer | undefined {
    const format = filter['returnFormat'] ?? 'json';
    if (format === 'json') return undefined;
    return new HttpAnswer(404, { name: 'Not Found', message: `returnFormat ${String(format)} is not emulated`, url });
  }

  /** `POST /events/restSearch` (json): `{"response":[{"Event":…}]}`, whole events that match. */
  function searchEvents(filter: Json): HttpAnswer {
    const unsupported = unsupportedFormat(filter, '/events/restSearch');
    if (unsupported !== undefined) return unsupported;
    const found = [...events.values()].filter(
      (e) =>
        eventMatches(e, filter) &&
        filterMatches(filter['uuid'], [e.uuid], true) &&
        (!hasAttributeFilter(filter) || allAttributes(e).some((a) => attributeMatches(a, filter, false))),
    );
    const metadata = flag(filter['metadata']) === true;
    const rows = page(found, filter).map((event) => {
      if (!metadata) return { Event: event };
      const { Attribute: _attributes, Object: _objects, ...rest } = event;
      return { Event: rest };
    });
    return new HttpAnswer(200, { response: rows }, { 'x-result-count': String(found.length), 'x-export-module-used': 'json', 'x-response-format': 'json' });
  }

  /** `POST /attributes/restSearch` (json): `{"response":{"Attribute":[{…, "Event":{…}}]}}`. */
  function searchAttributes(filter: Json): HttpAnswer {
    const unsupported = unsupportedFormat(filter, '/attributes/restSearch');
    if (unsupported !== undefined) return unsupported;
    const found = [...events.values()]
      .filter((e) => eventMatches(e, filter))
      .flatMap((event) =>
        allAttributes(event)
          .filter((a) => attributeMatches(a, filter, true))
          .map((a) => ({ ...a, Event: { org_id: event.org_id, distribution: event.distribution, id: event.id, info: event.info, orgc_id: event.orgc_id, uuid: event.uuid } })),
      );
    return new HttpAnswer(200, { response: { Attribute: page(found, filter) } }, { 'x-result-count': String(found.length), 'x-export-module-used': 'json', 'x-response-format': 'json' });
  }

  function route(method: string, path: string, body: unknown): [string, HttpAnswer] {
    const segments = path.replace(/\.json$/, '').split('/').filter((s) => s.length > 0);
    const named = new Map(segments.filter((s) => s.includes(':')).map((s) => s.split(':', 2) as [string, string]));
    const plain = segments.filter((s) => !s.includes(':'));
    const [controller, action, ref] = plain;
    const key = `${controller}/${action}`;
    if (method === 'GET' && key === 'servers/getVersion') {
      return ['GET /servers/getVersion', new HttpAnswer(200, { version, pymisp_recommended_version: version, perm_sync: false, perm_sighting: true, perm_galaxy_editor: false, perm_analyst_data: false, uuid: '-', request_encoding: ['gzip', 'br'], filter_sightings: true })];
    }
    if (method === 'GET' && key === 'servers/getPyMISPVersion') return ['GET /servers/getPyMISPVersion', new HttpAnswer(200, { version })];
    if (method === 'GET' && key === 'users/view') {
      // UsersController::view in REST mode: {User, Role, UserSetting, Organisation}; password masked, settings as a map
      // (an empty PHP array, i.e. [], when the user has none). PyMISP's constructor reads all of them.
      if (ref !== 'me' && ref !== USER.User.id) return ['GET /users/view/me', new HttpAnswer(404, { name: 'Invalid user', message: 'Invalid user', url: `/users/view/${ref ?? ''}` })];
      return ['GET /users/view/me', new HttpAnswer(200, USER)];
    }
    if (method === 'GET' && key === 'attributes/describeTypes') return ['GET /attributes/describeTypes', new HttpAnswer(200, describeTypesResponse)];
    if (method === 'POST' && (key === 'events/add' || (controller === 'events' && action === undefined))) return ['POST /events/add', addEvent(body)];
    if (method === 'GET' && key === 'events/view' && ref !== undefined) {
      const event = eventFor(ref);
      return ['GET /events/view/{id}', event ? new HttpAnswer(200, { Event: event }) : new HttpAnswer(404, { name: 'Invalid event', message: 'Invalid event', url: `/events/view/${ref}` })];
    }
    if ((method === 'POST' || method === 'DELETE') && key === 'events/delete' && ref !== undefined) return ['DELETE /events/delete/{id}', deleteEvent(ref)];
    if ((method === 'POST' || method === 'PUT') && key === 'events/edit' && ref !== undefined) return ['POST /events/edit/{id}', editEvent(ref, body, named.get('metadata') === '1')];
    if (method === 'POST' && key === 'attributes/add' && ref !== undefined) return ['POST /attributes/add/{id}', addAttributes(ref, body, named.get('breakOnDuplicate') !== '0')];
    if (method === 'GET' && (key === 'events/restSearch' || key === 'attributes/restSearch') && named.size === 0) {
      return [`POST /${key}`, new HttpAnswer(400, { name: RESTSEARCH_NO_PARAMETERS, message: RESTSEARCH_NO_PARAMETERS, url: `/${key}` })];
    }
    if (method === 'POST' && (key === 'events/restSearch' || key === 'attributes/restSearch')) {
      const endpoint = `POST /${key}`;
      const filter = unwrap(body ?? {}, 'request');
      if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) return [endpoint, new HttpAnswer(400, { name: 'Invalid parameters.', message: 'Invalid parameters.', url: `/${key}` })];
      return [endpoint, key === 'events/restSearch' ? searchEvents(filter as Json) : searchAttributes(filter as Json)];
    }
    if (method === 'POST' && key === 'events/publish' && ref !== undefined) {
      const event = eventFor(ref);
      if (event === undefined) return ['POST /events/publish/{id}', new HttpAnswer(404, { name: 'Invalid event.', message: 'Invalid event.', url: `/events/publish/${ref}` })];
      event.published = true;
      event.publish_timestamp = now();
      return ['POST /events/publish/{id}', new HttpAnswer(200, { saved: true, success: true, name: 'Job queued', message: 'Job queued', url: `/events/publish/${event.id}`, id: event.id })];
    }
    if (method === 'POST' && key === 'tags/removeTagFromObject') {
      // TagsController::removeTagFromObject (PyMISP `untag`): {uuid, tag}; an unknown tag is refused with 405, one not
      // attached with 404.
      const endpoint = 'POST /tags/removeTagFromObject';
      const input = (body ?? {}) as Json;
      const url = '/tags/removeTagFromObject';
      if (typeof input['uuid'] !== 'string' || !UUID.test(input['uuid'])) return [endpoint, new HttpAnswer(405, { name: 'Invalid object uuid', message: 'Invalid object uuid', url })];
      if (typeof input['tag'] !== 'string' || input['tag'] === '') return [endpoint, new HttpAnswer(405, { name: 'Invalid tag', message: 'Invalid tag', url })];
      // A tag MISP does not know at all (tags are created when first attached; an administrator may delete one).
      if (!knownTags.has(input['tag'].trim().toLowerCase())) return [endpoint, new HttpAnswer(405, { name: 'Invalid Tag.', message: 'Invalid Tag.', url })];
      const attribute = attributesByUuid.get(input['uuid'].toLowerCase());
      if (attribute === undefined) return [endpoint, new HttpAnswer(404, { name: 'Invalid target.', message: 'Invalid target.', url })];
      const index = attribute.Tag.findIndex((t) => t.name === input['tag']);
      if (index < 0) {
        // TagsController::removeTagFromObject throws NotFoundException.
        const message = 'Could not remove tag as it is not attached to the target Attribute';
        return [endpoint, new HttpAnswer(404, { name: message, message, url })];
      }
      attribute.Tag.splice(index, 1);
      attribute.timestamp = now();
      const message = `Global tag ${String(input['tag'])} successfully removed from Attribute(${attribute.id}).`;
      return [endpoint, new HttpAnswer(200, { saved: true, success: true, name: message, message, url })];
    }
    if (method === 'POST' && key === 'objects/add' && ref !== undefined) {
      const event = eventFor(ref);
      if (event === undefined) return ['POST /objects/add/{id}', new HttpAnswer(404, { name: 'Invalid event.', message: 'Invalid event.', url: `/objects/add/${ref}` })];
      const input = unwrap(body, 'Object') as Json;
      if (specCheck('POST /objects/add/{id}', 'Object', input) !== undefined) return ['POST /objects/add/{id}', saveFail('add object', `/objects/add/${ref}`, 'spec')];
      const result = upsertObject(event, input);
      return ['POST /objects/add/{id}', typeof result === 'string' ? saveFail('add object', `/objects/add/${ref}`, result) : new HttpAnswer(200, { Object: result })];
    }
    return [`${method} /${key}`, new HttpAnswer(404, { name: 'Not Found', message: `${method} ${path} is not emulated`, url: path })];
  }

  async function readBody(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let buffer = Buffer.concat(chunks);
    if (buffer.length === 0) return undefined;
    if (request.headers['content-encoding'] === 'gzip') buffer = gunzipSync(buffer);
    return JSON.parse(buffer.toString('utf8')) as unknown;
  }

  function respond(response: ServerResponse, answer: HttpAnswer): void {
    const body = JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...answer.headers });
    response.end(body);
  }

  let answering = 0;
  let peakAnswering = 0;
  const http = createServer(async (request, response) => {
    total++;
    peakAnswering = Math.max(peakAnswering, ++answering);
    response.once('close', () => answering--);
    const path = (request.url ?? '/').split('?')[0]!;
    if (outage !== undefined && Date.now() < outage.untilMs) {
      respond(response, new HttpAnswer(outage.status, { name: 'Service Unavailable', message: 'Service Unavailable', url: path }));
      return;
    }
    const fault = faults.find((f) => f.count > 0 && (f.pathPrefix === undefined || path.startsWith(f.pathPrefix)));
    if (fault !== undefined) {
      fault.count--;
      if (fault.dropConnection) {
        request.socket.destroy();
        return;
      }
      respond(response, new HttpAnswer(fault.status ?? 503, { name: 'Service Unavailable', message: 'Service Unavailable', url: path }));
      return;
    }
    const key = request.headers['x-misp-auth'] ?? request.headers['authorization'];
    if (typeof key !== 'string' || !key.split(',').map((k) => k.trim()).includes(apiKey)) {
      respond(response, new HttpAnswer(403, { name: AUTH_MESSAGE, message: AUTH_MESSAGE, url: path }));
      return;
    }
    if (request.headers['accept'] !== 'application/json' && !path.endsWith('.json')) {
      // Without Accept: application/json MISP treats the call as a browser request.
      response.writeHead(302, { location: '/users/login', 'content-type': 'text/html' });
      response.end('<html><body>Redirecting to login</body></html>');
      return;
    }
    let body: unknown;
    try {
      body = await readBody(request);
    } catch {
      respond(response, new HttpAnswer(400, { name: 'Bad Request', message: 'Invalid JSON', url: path }));
      return;
    }
    const [endpoint, answer] = route(request.method ?? 'GET', path, body);
    counts[endpoint] = (counts[endpoint] ?? 0) + 1;
    if (!READS.has(endpoint)) {
      writes++;
      if (options.writeLatencyMs) await sleep(options.writeLatencyMs);
    }
    respond(response, answer);
  });

  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const server: MispEmulator = {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requestCounts: () => ({ ...counts }),
    totalRequests: () => total,
    writeRequests: () => writes,
    concurrentRequests: () => ({ now: answering, peak: peakAnswering }),
    specViolations: violations,
    unreported,
    events: () => [...events.values()],
    injectFaults: (spec) => faults.push({ ...spec }),
    outage: (untilMs, status = 503) => {
      outage = { untilMs, status };
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
  return server;
}
