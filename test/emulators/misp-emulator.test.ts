import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startMispEmulator, type MispEmulator } from './misp-emulator.js';

let misp: MispEmulator;
before(async () => {
  misp = await startMispEmulator();
});
after(() => misp.close());

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, key?: string): Promise<{ status: number; body: Record<string, unknown>; location?: string }> {
  const response = await request(`${misp.url}${path}`, {
    method,
    headers: { authorization: key ?? misp.apiKey, accept: 'application/json', 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const location = response.headers['location'];
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown>, ...(typeof location === 'string' && { location }) };
}

const EVENT_UUID = '11111111-2222-4333-8444-555555555555';
const uuid = (n: number) => `aaaaaaaa-bbbb-4ccc-8ddd-${String(n).padStart(12, '0')}`;

describe('MISP emulator', () => {
  it('answers a wrong key with MISP\'s 403 authentication message', async () => {
    const { status, body } = await call('GET', '/servers/getVersion', undefined, 'x'.repeat(40));
    assert.equal(status, 403);
    assert.match(String(body['message']), /^Authentication failed\. Please make sure you pass the API key/);
  });

  it('creates an event once; a repeated UUID answers 404 with a Location header', async () => {
    const created = await call('POST', '/events/add', { Event: { uuid: EVENT_UUID, info: 'T-Pot Cowrie attacks 2025-03-14', date: '2025-03-14', distribution: '0', threat_level_id: '3', analysis: '2', Tag: [{ name: 'tlp:clear' }] } });
    assert.equal(created.status, 200);
    const event = created.body['Event'] as Record<string, unknown>;
    assert.equal(typeof event['id'], 'string');
    assert.equal(event['published'], false);
    const again = await call('POST', '/events/add', { Event: { uuid: EVENT_UUID, info: 'again' } });
    assert.equal(again.status, 404);
    assert.match(again.location ?? '', /\/events\/\d+$/);
  });

  it('rejects what MISP rejects: empty info, a bad date, event distribution 5', async () => {
    const result = await call('POST', '/events/add', { Event: { info: '', date: '14.03.2025' } });
    assert.equal(result.status, 403);
    assert.deepEqual(Object.keys(result.body['errors'] as object).sort(), ['date', 'info']);
    assert.equal((await call('POST', '/events/add', { Event: { info: 'x', distribution: 5 } })).status, 403);
  });

  it('adds a batch of attributes with MISP\'s partial-failure shape and duplicate rule', async () => {
    const batch = [
      { uuid: uuid(1), type: 'ip-src', category: 'Network activity', value: '198.51.100.1', to_ids: true },
      { uuid: uuid(2), type: 'ip-src', category: 'Network activity', value: '198.51.100.2', to_ids: true },
      { uuid: uuid(3), type: 'ip-src', category: 'Network activity', value: '198.51.100.1', to_ids: true },
      { uuid: uuid(4), type: 'no-such-type', value: 'x' },
      { uuid: uuid(5), type: 'text', category: 'Other', value: 'y'.repeat(65_536) },
      { uuid: uuid(6), type: 'ip-src', value: 'not an ip' },
    ];
    const { status, body } = await call('POST', `/attributes/add/${EVENT_UUID}`, batch);
    assert.equal(status, 200);
    assert.equal((body['Attribute'] as unknown[]).length, 2);
    const errors = body['errors'] as Record<string, Record<string, string[]>>;
    assert.deepEqual(Object.keys(errors).sort(), ['attribute_2', 'attribute_3', 'attribute_4', 'attribute_5']);
    assert.deepEqual(errors['attribute_2']?.['value'], ['A similar attribute already exists for this event.']);
    assert.deepEqual(errors['attribute_3']?.['type'], ['Invalid type.']);
    assert.match(errors['attribute_4']?.['value']?.[0] ?? '', /too long/);
  });

  it('answers 403 when every item of a batch fails, and the single shape for one item', async () => {
    const all = await call('POST', `/attributes/add/${EVENT_UUID}`, [{ type: 'ip-src', value: '198.51.100.1' }, { type: 'ip-src', value: '198.51.100.2' }]);
    assert.equal(all.status, 403);
    assert.equal(all.body['saved'], false);
    const one = await call('POST', `/attributes/add/${EVENT_UUID}`, { type: 'ip-src', value: '198.51.100.3' });
    assert.equal(one.status, 200);
    assert.equal((one.body['Attribute'] as Record<string, unknown>)['value'], '198.51.100.3');
    const reused = await call('POST', `/attributes/add/${EVENT_UUID}`, { uuid: uuid(1), type: 'ip-src', value: '198.51.100.9' });
    assert.deepEqual((reused.body['errors'] as Record<string, string[]>)['uuid'], ['The UUID provided is not unique']);
  });

  it('enforces object templates on objects/add; an event edit stores what it can, answers 200 and drops the rest quietly', async () => {
    const ipPort = { uuid: uuid(10), name: 'ip-port', template_uuid: '9f8cea74-16fe-4968-a2b4-026676949ac6', template_version: '10', Attribute: [{ object_relation: 'ip-src', type: 'ip-src', value: '198.51.100.1' }, { object_relation: 'dst-port', type: 'port', value: '445' }] };
    const commandLine = { uuid: uuid(11), name: 'command-line', template_uuid: '88ebe222-d3cc-11e9-875d-7f13f460adaf', template_version: '2', Attribute: [{ object_relation: 'description', type: 'text', value: 'no command' }] };
    const refused = await call('POST', `/objects/add/${EVENT_UUID}`, { Object: commandLine });
    assert.equal(refused.status, 403);
    assert.match(JSON.stringify(refused.body), /required attribute is not set \(command_line\)/);
    const noted = misp.unreported.length;
    const portZero = { ...ipPort, uuid: uuid(12), Attribute: [ipPort.Attribute[0]!, { object_relation: 'dst-port', type: 'port', value: '0', uuid: uuid(13) }] };
    const quiet = await call('POST', `/events/edit/${EVENT_UUID}`, { Event: { Object: [commandLine, portZero], Attribute: [{ uuid: uuid(14), type: 'user-agent', category: 'Network activity', value: 'curl\nX-Injected: 1' }] } });
    assert.equal(quiet.status, 200, 'Event::_edit answers 200 whatever it dropped');
    const stored = misp.events().find((e) => e.uuid === EVENT_UUID)!;
    assert.ok(stored.Object.some((o) => o.uuid === uuid(11)), 'stored off its template');
    assert.deepEqual(stored.Object.find((o) => o.uuid === uuid(12))?.Attribute.map((a) => a.object_relation), ['ip-src'], 'port 0 dropped from the object');
    assert.ok(!stored.Attribute.some((a) => a.uuid === uuid(14)), 'a user-agent with a line feed is dropped');
    assert.deepEqual(misp.unreported.slice(noted).map((u) => u.uuid).sort(), [uuid(11), uuid(13), uuid(14)]);
    const good = await call('POST', `/events/edit/${EVENT_UUID}`, { Event: { Object: [ipPort], Attribute: [{ uuid: uuid(1), type: 'ip-src', category: 'Network activity', value: '198.51.100.1', comment: '2 hits' }, { uuid: uuid(20), type: 'ip-src', value: '203.0.113.5' }] } });
    assert.equal(good.status, 200);
    const event = misp.events().find((e) => e.uuid === EVENT_UUID)!;
    assert.equal(event.Attribute.find((a) => a.uuid === uuid(1))?.comment, '2 hits', 'updated in place');
    assert.equal(event.Attribute.filter((a) => a.value === '198.51.100.1').length, 1);
    assert.ok(event.Attribute.some((a) => a.uuid === uuid(20)), 'new attribute added');
    await call('POST', `/events/edit/${EVENT_UUID}`, { Event: { Object: [{ ...ipPort, comment: 'seen again' }] } });
    assert.equal(event.Object.filter((o) => o.uuid === uuid(10)).length, 1);
    assert.equal(event.Object.find((o) => o.uuid === uuid(10))?.comment, 'seen again');
  });

  it("edits an object's attributes as MISP's editObject does: what an edit leaves out (to_ids, a deletion, tags) stays", async () => {
    const EVENT = '11111111-2222-4333-8444-000000000060';
    assert.equal((await call('POST', '/events/add', { Event: { uuid: EVENT, info: 'T-Pot Dionaea attacks 2025-03-14', date: '2025-03-14', distribution: '0', threat_level_id: '3', analysis: '2' } })).status, 200);
    const attribute = (n: number, extra: Record<string, unknown> = {}) => ({ uuid: uuid(n), object_relation: 'ip-src', type: 'ip-src', value: `192.0.2.${n}`, to_ids: true, ...extra });
    const object = (n: number, attributes: unknown[]) => ({ uuid: uuid(n), name: 'ip-port', template_uuid: '9f8cea74-16fe-4968-a2b4-026676949ac6', template_version: '10', Attribute: attributes });
    const edit = async (objects: unknown[]) => assert.equal((await call('POST', `/events/edit/${EVENT}`, { Event: { Object: objects } })).status, 200);
    const stored = (n: number) => misp.events().find((e) => e.uuid === EVENT)!.Object.find((o) => o.uuid === uuid(n))!;
    await edit([object(60, [attribute(61, { Tag: [{ name: 'analyst:checked' }] })]), object(62, [attribute(63)])]);
    // The analyst turns IDS export off in one object and soft-deletes the other.
    stored(60).Attribute[0]!.to_ids = false;
    stored(62).deleted = true;
    stored(62).Attribute[0]!.deleted = true;
    const { to_ids: _a, ...without61 } = attribute(61);
    const { to_ids: _b, ...without63 } = attribute(63);
    await edit([{ ...object(60, [without61]), comment: 'seen again' }, { ...object(62, [without63]), comment: 'seen again' }]);
    assert.equal(stored(60).comment, 'seen again');
    assert.deepEqual([stored(60).Attribute.length, stored(60).Attribute[0]!.to_ids, stored(60).Attribute[0]!.Tag.map((t) => t.name)], [1, false, ['analyst:checked']]);
    assert.deepEqual([stored(62).deleted, stored(62).Attribute[0]!.deleted, stored(62).Attribute[0]!.to_ids], [true, true, true]);
    // An attribute new to an object, without to_ids, gets its type's default (ip-src: exported for IDS).
    await edit([object(60, [without61, { uuid: uuid(64), object_relation: 'ip-src', type: 'ip-src', value: '192.0.2.64' }])]);
    assert.equal(stored(60).Attribute.find((a) => a.uuid === uuid(64))?.to_ids, true);
  });

  it('stores values as MISP does and holds case, accent and blank twins as one value (the duplicate rule)', async () => {
    const twins = [
      { uuid: uuid(30), type: 'uri', category: 'Network activity', value: '/HNAP1/' },
      { uuid: uuid(31), type: 'uri', category: 'Network activity', value: '/hnap1/' },
      { uuid: uuid(32), type: 'user-agent', category: 'Network activity', value: 'Mozilla/5.0 ' },
      { uuid: uuid(33), type: 'user-agent', category: 'Network activity', value: 'Mozilla/5.0' },
      { uuid: uuid(34), type: 'text', category: 'Other', value: 'café' },
      { uuid: uuid(35), type: 'text', category: 'Other', value: 'CAFE' },
      { uuid: uuid(36), type: 'email-src', category: 'Payload delivery', value: 'Spam@Example.ORG' },
      { uuid: uuid(37), type: 'text', category: 'Other', value: 'smile 😀' },
      { uuid: uuid(38), type: 'text', category: 'Other', value: '\u0003' },
    ];
    const { body } = await call('POST', `/attributes/add/${EVENT_UUID}`, twins);
    const errors = body['errors'] as Record<string, Record<string, string[]>>;
    assert.deepEqual(Object.keys(errors).sort(), ['attribute_1', 'attribute_3', 'attribute_5', 'attribute_8']);
    assert.deepEqual(errors['attribute_1']?.['value'], ['A similar attribute already exists for this event.']);
    assert.match(errors['attribute_8']?.['value']?.[0] ?? '', /purely of control characters/);
    const event = misp.events().find((e) => e.uuid === EVENT_UUID)!;
    const value = (n: number) => event.Attribute.find((a) => a.uuid === uuid(n))?.value;
    assert.equal(value(32), 'Mozilla/5.0', 'trimmed');
    assert.equal(value(36), 'spam@example.org', 'email lowercased');
    assert.equal(value(37), 'smile ?', '4-byte UTF-8 stored as ?');
    // An edit cannot add a twin either: it is dropped, and only MISP's audit log says so.
    const noted = misp.unreported.length;
    const edit = await call('POST', `/events/edit/${EVENT_UUID}`, { Event: { Attribute: [{ uuid: uuid(31), type: 'uri', category: 'Network activity', value: '/hnap1/' }] } });
    assert.equal(edit.status, 200);
    assert.equal(value(31), undefined);
    assert.match(misp.unreported.at(-1)?.problem ?? '', /similar attribute/);
    assert.equal(misp.unreported.length, noted + 1);
    // Updating the attribute itself to another spelling is no twin of itself.
    await call('POST', `/events/edit/${EVENT_UUID}`, { Event: { Attribute: [{ uuid: uuid(30), type: 'uri', category: 'Network activity', value: '/hnap1/' }] } });
    assert.equal(value(30), '/hnap1/');
    assert.equal(misp.unreported.length, noted + 1);
  });

  it('removes a tag: 404 when it is not attached, 405 "Invalid Tag." when MISP has no such tag', async () => {
    const added = await call('POST', `/attributes/add/${EVENT_UUID}`, { uuid: uuid(40), type: 'ip-src', category: 'Network activity', value: '192.0.2.40', Tag: [{ name: 'tpot:scanner="benign"' }] });
    assert.equal(added.status, 200);
    assert.equal((await call('POST', '/tags/removeTagFromObject', { uuid: uuid(40), tag: 'tpot:scanner="benign"' })).status, 200);
    const again = await call('POST', '/tags/removeTagFromObject', { uuid: uuid(40), tag: 'tpot:scanner="benign"' });
    assert.equal(again.status, 404);
    assert.match(String(again.body['message']), /not attached/);
    const unknown = await call('POST', '/tags/removeTagFromObject', { uuid: uuid(40), tag: 'never:seen' });
    assert.equal(unknown.status, 405);
    assert.equal(unknown.body['message'], 'Invalid Tag.');
  });

  it('records bodies that break MISP\'s OpenAPI spec, counts requests, and injects faults', async () => {
    const before = misp.specViolations.length;
    const wrong = await call('POST', `/attributes/add/${EVENT_UUID}`, { type: 'ip-src', value: '198.51.100.77', to_ids: 'maybe', uuid: 'not-a-uuid' });
    assert.equal(wrong.status, 403);
    assert.equal(misp.specViolations.length, before + 1);
    assert.match(misp.specViolations.at(-1)!.errors, /uuid/);
    assert.ok((misp.requestCounts()['POST /attributes/add/{id}'] ?? 0) >= 4);
    const writes = misp.writeRequests();
    await call('GET', '/servers/getVersion');
    assert.equal(misp.writeRequests(), writes, 'reads are not writes');
    misp.injectFaults({ count: 1, status: 503, pathPrefix: '/events/view' });
    assert.equal((await call('GET', `/events/view/${EVENT_UUID}`)).status, 503);
    assert.equal((await call('GET', `/events/view/${EVENT_UUID}`)).status, 200);
  });

  it('deletes an event as MISP does: gone with its attributes, its UUID blocklisted (unless blocklisting is off)', async () => {
    const deletedUuid = '22222222-3333-4444-8555-666666666666';
    const event = { uuid: deletedUuid, info: 'T-Pot Dionaea attacks 2025-03-14', date: '2025-03-14' };
    assert.equal((await call('POST', '/events/add', { Event: event })).status, 200);
    const attribute = { uuid: uuid(900), type: 'ip-src', category: 'Network activity', value: '198.51.100.90', to_ids: true };
    assert.equal((await call('POST', `/attributes/add/${deletedUuid}`, [attribute])).status, 200);

    const deleted = await call('DELETE', `/events/delete/${deletedUuid}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body['message'], 'Event deleted.');
    assert.equal((await call('DELETE', `/events/delete/${deletedUuid}`)).status, 403, 'no such event any more');
    for (const [method, path] of [['POST', `/attributes/add/${deletedUuid}`], ['POST', `/events/edit/${deletedUuid}`], ['POST', `/events/publish/${deletedUuid}`]] as const) {
      const answer = await call(method, path, method === 'POST' && path.includes('edit') ? { Event: { uuid: deletedUuid, info: 'x' } } : [attribute]);
      assert.equal(answer.status, 404, path);
      assert.match(String(answer.body['message']), /^Invalid event\.?$/, path);
    }
    const again = await call('POST', '/events/add', { Event: event });
    assert.equal(again.status, 403);
    assert.equal(again.body['message'], 'Event blocked by event blocklist.');
    // The attribute went with its event (a hard delete): its UUID is free again.
    assert.equal((await call('POST', `/attributes/add/${EVENT_UUID}`, [attribute])).status, 200);

    const permissive = await startMispEmulator({ eventBlocklisting: false });
    try {
      const add = () => request(`${permissive.url}/events/add`, { method: 'POST', headers: { authorization: permissive.apiKey, accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify({ Event: event }) });
      assert.equal((await add()).statusCode, 200);
      const id = permissive.events()[0]!.id;
      assert.equal((await request(`${permissive.url}/events/delete/${id}`, { method: 'POST', headers: { authorization: permissive.apiKey, accept: 'application/json' } })).statusCode, 200);
      assert.equal((await add()).statusCode, 200, 'without blocklisting, a deleted UUID can be added again');
    } finally {
      await permissive.close();
    }
  });
});
