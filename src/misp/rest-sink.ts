// MISP REST sink: one event per (honeypot, day), attributes and objects in batches, idempotent by UUID.
import pLimit, { type LimitFunction } from 'p-limit';
import { Tpot2MispError } from '../errors.js';
import type { EventChanges, ItemChange } from './build.js';
import { MispHttpClient, mispMessage, type MispHttpOptions, type MispResponse } from './http-client.js';
import type { MispAttribute, MispObject } from './model.js';
import type { EventDelivery, RejectedItem, Sink } from './sink.js';
import { isDefaultToIds } from './to-ids-defaults.js';

export interface MispRestSinkOptions extends MispHttpOptions {
  readonly batchSize: number;
  /** MISP_CONCURRENCY: requests to MISP at once (default 1). */
  readonly concurrency?: number;
}

// MISP's answer when it already holds the item: its UUID exists (a batch MISP saved but whose answer was lost, or a
// lost state file). The duplicate rule alone ("A similar attribute already exists") means another attribute holds
// the value: this one is refused, and an edit would drop it silently.
const ALREADY_THERE = /uuid provided is not unique/i;

// MISP's answer about an event it does not hold (404 "Invalid event"), and its refusal to create an event whose UUID
// it blocklisted: by default MISP blocklists the UUID of every event deleted. Either way an analyst deleted the
// event (or this is not the MISP the state database remembers): it is not re-created behind the analyst's back.
const NO_SUCH_EVENT = /^invalid event\.?$/i;
const BLOCKLISTED = /blocked by event blocklist/i;

/** Ends one event's delivery: MISP no longer holds the event and will not take it again. */
class EventDeleted extends Error {}

type AttributeBody = Omit<MispAttribute, 'timestamp'>;

type EditedAttributeBody = Omit<AttributeBody, 'to_ids' | 'deleted'> & Partial<Pick<AttributeBody, 'to_ids' | 'deleted'>>;
type EditedObjectBody = Omit<MispObject, 'timestamp' | 'deleted' | 'Attribute'> & { Attribute: EditedAttributeBody[] };

/** MISP stamps its own time on writes; data-derived timestamps are for the feed only. An add leaves `deleted` out. */
function restAttribute(attribute: MispAttribute): AttributeBody {
  const { timestamp: _t, deleted, ...body } = attribute;
  return deleted === true ? { ...body, deleted } : body;
}

/**
 * An edit of an attribute MISP holds. MISP keeps the fields an edit leaves out, so that an analyst who turned `to_ids`
 * off for a false positive, or soft-deleted the attribute, keeps that: `deleted` is sent only when this change moves it
 * (a soft delete of a benign scanner is undone only by an explicit false), `to_ids` when this change moves it or
 * differs from what MISP would give an attribute it no longer holds. When the ledger cannot tell (MISP held an
 * attribute we did not know we had delivered), both are sent.
 */
function restAttributeEdit(change: ItemChange<MispAttribute>): EditedAttributeBody {
  const { timestamp: _t, to_ids, deleted, ...body } = change.item;
  const flags = change.flagsChanged ?? { toIds: true, deleted: true };
  const sendToIds = flags.toIds || !isDefaultToIds(body.type, to_ids);
  return { ...body, ...(sendToIds && { to_ids }), ...(flags.deleted && { deleted }) };
}

/**
 * An object added or edited through an event edit. In an object MISP holds already, its attributes' `to_ids` is left
 * out where MISP's default gives the same (an analyst's edit of it lasts; an attribute new to the object gets it).
 */
function restObject(change: ItemChange<MispObject>): EditedObjectBody {
  const { timestamp: _t, deleted: _d, Attribute, ...body } = change.item;
  return {
    ...body,
    Attribute: Attribute.map((attribute) => {
      const { to_ids, ...rest } = restAttribute(attribute);
      return change.isNew || !isDefaultToIds(attribute.type, to_ids) ? { ...rest, to_ids } : rest;
    }),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Every result once all have settled, or the first failure, thrown only then: nothing may still be writing to MISP
 * once a delivery has failed, or a retry could overtake it.
 */
async function allSettledOrThrow<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

function isNoSuchEvent(response: MispResponse): boolean {
  return response.status === 404 && NO_SUCH_EVENT.test(mispMessage(response.body) ?? '');
}

function errorText(errors: unknown): string {
  const text = typeof errors === 'string' ? errors : JSON.stringify(errors);
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

export class MispRestSink implements Sink {
  readonly id: string;
  // 8 full batches at the default MISP_BATCH_SIZE (4,000 items): few extra requests, and little memory for the part
  // built while the previous one is on the wire (at 20 batches, the two parts added about 20 MB to peak RSS).
  readonly partSize: number;
  readonly #client: MispHttpClient;
  /**
   * Every request goes through it: at most MISP_CONCURRENCY on the wire. A part's batches of new attributes fill it
   * (delivering parts of different events side by side as well gained nothing more in the benchmark).
   */
  readonly #limit: LimitFunction;
  readonly #batchSize: number;
  /** The access check, made once, whichever delivery comes first. */
  #checked: Promise<void> | undefined;

  constructor(options: MispRestSinkOptions) {
    this.#client = new MispHttpClient(options);
    this.#batchSize = options.batchSize;
    this.partSize = options.batchSize * 8;
    this.#limit = pLimit(options.concurrency ?? 1);
    this.id = `misp:${this.#client.baseUrl}`;
  }

  get requestCount(): number {
    return this.#client.requestCount;
  }

  async apply(all: readonly EventChanges[]): Promise<EventDelivery[]> {
    const deliveries: EventDelivery[] = [];
    for (const changes of all) {
      await this.#checkAccess();
      deliveries.push(await this.#applyEvent(changes));
    }
    return deliveries;
  }

  /** `body` is made when the request's turn comes: requests waiting for one do not hold theirs. */
  #request(method: 'GET' | 'POST', path: string, body?: () => unknown): Promise<MispResponse> {
    return this.#limit(() => this.#client.request(method, path, body?.()));
  }

  /** One read before the first write: a wrong key or URL fails with a clear message instead of mid-batch. */
  #checkAccess(): Promise<void> {
    if (this.#checked === undefined) {
      const check = this.#request('GET', '/servers/getVersion').then((response) => this.#throwUnlessOk(response, 'GET /servers/getVersion'));
      this.#checked = check;
      // A check that failed (MISP unreachable for longer than the retries) is made again by the next delivery.
      check.catch(() => {
        if (this.#checked === check) this.#checked = undefined;
      });
    }
    return this.#checked;
  }

  async #applyEvent(changes: EventChanges): Promise<EventDelivery> {
    try {
      return await this.#deliverEvent(changes);
    } catch (error) {
      if (!(error instanceof EventDeleted)) throw error;
      const none = { eventCreated: false, attributesAdded: 0, attributesUpdated: 0, objectsAdded: 0, objectsUpdated: 0, alreadyPresent: 0, rejected: [] };
      return { eventUuid: changes.event.uuid, ...none, eventDeleted: true };
    }
  }

  async #deliverEvent(changes: EventChanges): Promise<EventDelivery> {
    const eventUuid = changes.event.uuid;
    let eventCreated = false;
    if (changes.createEvent) eventCreated = await this.#createEvent(changes);

    const rejected: RejectedItem[] = [];
    let alreadyPresent = 0;
    let attributesAdded = 0;
    const newAttributes = changes.attributes.filter((c) => c.isNew);
    // New to us but already in MISP (a crash between MISP's answer and our commit, or a lost state file):
    // MISP's copy may hold an older count or last-seen, so these are sent again as updates.
    const presentInMisp: ItemChange<MispAttribute>[] = [];
    // Batches of new attributes are independent of each other: they go out together, as many at once as the
    // concurrency allows. (Edits stay in order: an object may reference one sent in an earlier batch.)
    for (const result of await allSettledOrThrow(chunks(newAttributes, this.#batchSize).map((batch) => this.#addAttributes(eventUuid, batch)))) {
      attributesAdded += result.saved;
      alreadyPresent += result.alreadyPresent.length;
      presentInMisp.push(...result.alreadyPresent);
      rejected.push(...result.rejected);
    }
    // Attributes MISP holds already, whose count or last-seen moved: upsert by UUID through an event edit.
    const updatedAttributes = [...changes.attributes.filter((c) => !c.isNew), ...presentInMisp];
    for (const batch of chunks(updatedAttributes, this.#batchSize)) {
      await this.#editEvent(eventUuid, { Attribute: batch.map(restAttributeEdit) });
    }
    for (const batch of chunks(changes.objects, this.#batchSize)) {
      await this.#editEvent(eventUuid, { Object: batch.map(restObject) });
    }
    // MISP keeps an attribute's tags across edits: a verdict that changed must be untagged explicitly.
    for (const change of [...changes.attributes, ...changes.objects]) {
      for (const tag of change.untag?.names ?? []) await this.#untag(change.untag!.on, tag);
    }
    return {
      eventUuid,
      eventCreated,
      attributesAdded,
      attributesUpdated: updatedAttributes.length,
      objectsAdded: changes.objects.filter((c) => c.isNew).length,
      objectsUpdated: changes.objects.filter((c) => !c.isNew).length,
      alreadyPresent,
      rejected,
    };
  }

  /** Creates the daily event; true when it was new, false when MISP already had this UUID. */
  async #createEvent(changes: EventChanges): Promise<boolean> {
    const response = await this.#request('POST', '/events/add', () => ({ Event: changes.event }));
    if (response.status === 200) return true;
    const message = mispMessage(response.body) ?? '';
    // MISP answers a known UUID with 404 + Location: the event exists, reuse it.
    if (response.status === 404 && (response.headers['location'] !== undefined || /already exists/i.test(message))) return false;
    if (response.status === 403 && BLOCKLISTED.test(message)) throw new EventDeleted();
    this.#throwUnlessOk(response, 'POST /events/add');
    return true;
  }

  async #addAttributes(eventUuid: string, batch: readonly ItemChange<MispAttribute>[]): Promise<{ saved: number; alreadyPresent: ItemChange<MispAttribute>[]; rejected: RejectedItem[] }> {
    const response = await this.#request('POST', `/attributes/add/${eventUuid}`, () => batch.map((c) => restAttribute(c.item)));
    const body = (response.body ?? {}) as Record<string, unknown>;
    this.#throwIfEventDeleted(response);
    if (response.status !== 200 && !(response.status === 403 && body['errors'] !== undefined && body['saved'] === false)) {
      this.#throwUnlessOk(response, `POST /attributes/add/${eventUuid}`);
    }
    // Per-item failures: `errors.attribute_<i>` for a list; for a single item MISP keys errors by field.
    const failures = new Map<number, unknown>();
    const errors = body['errors'];
    if (errors !== undefined && errors !== null) {
      if (batch.length === 1) failures.set(0, errors);
      else if (typeof errors === 'object') {
        for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
          const match = /^attribute_(\d+)$/.exec(key);
          if (match) failures.set(Number(match[1]), value);
        }
      }
    }
    if (response.status === 403 && failures.size === 0) {
      // Everything failed but MISP did not say which: treat the batch as one failure.
      batch.forEach((_c, index) => failures.set(index, errors));
    }
    const alreadyPresent: ItemChange<MispAttribute>[] = [];
    const rejected: RejectedItem[] = [];
    for (const [index, failure] of failures) {
      const change = batch[index];
      if (change === undefined) continue;
      const text = errorText(failure);
      if (ALREADY_THERE.test(text)) alreadyPresent.push(change);
      else rejected.push({ uuid: change.item.uuid, reason: text });
    }
    return { saved: batch.length - failures.size, alreadyPresent, rejected };
  }

  /**
   * Removes one tag from an attribute. A tag no longer attached (a re-send after a crash: 404) or no longer in MISP
   * at all (an administrator deleted it: 405 "Invalid Tag.") is already gone.
   */
  async #untag(uuid: string, tag: string): Promise<void> {
    const response = await this.#request('POST', '/tags/removeTagFromObject', () => ({ uuid, tag }));
    if ((response.status === 404 || response.status === 405) && /not attached|^invalid tag\.?$/i.test(mispMessage(response.body) ?? '')) return;
    this.#throwUnlessOk(response, 'POST /tags/removeTagFromObject');
  }

  async publish(eventUuid: string): Promise<'published' | 'deleted'> {
    await this.#checkAccess();
    const path = `/events/publish/${eventUuid}`;
    const response = await this.#request('POST', path);
    if (isNoSuchEvent(response)) return 'deleted';
    this.#throwUnlessOk(response, `POST ${path}`);
    return 'published';
  }

  async #editEvent(eventUuid: string, content: Record<string, unknown>): Promise<void> {
    // `metadata:1`: MISP answers with the event's metadata instead of the whole (possibly huge) event.
    const path = `/events/edit/${eventUuid}/metadata:1`;
    const response = await this.#request('POST', path, () => ({ Event: { uuid: eventUuid, ...content } }));
    this.#throwIfEventDeleted(response);
    this.#throwUnlessOk(response, `POST ${path}`);
  }

  #throwIfEventDeleted(response: MispResponse): void {
    if (isNoSuchEvent(response)) throw new EventDeleted();
  }

  #throwUnlessOk(response: MispResponse, what: string): void {
    if (response.status >= 200 && response.status < 300 && response.body !== undefined) return;
    const message = mispMessage(response.body) ?? response.text?.replace(/\s+/g, ' ').slice(0, 200) ?? '';
    if (response.status === 403 && /authentication failed/i.test(message)) {
      throw new Tpot2MispError('T2M_MISP_AUTH', `MISP rejected the API key (${what}: 403 ${message})`, {
        hint: 'check MISP_KEY: it must be the 40-character key of a user whose role may use the API and add events',
        status: 403,
      });
    }
    if (response.body === undefined && response.status < 400) {
      throw new Tpot2MispError('T2M_MISP_HTTP', `MISP answered ${what} with HTTP ${response.status} and no JSON (${message})`, {
        hint: 'MISP_URL must point at MISP itself (e.g. https://misp.example.org), not a login page or proxy',
        status: response.status,
      });
    }
    throw new Tpot2MispError('T2M_MISP_HTTP', `MISP refused ${what}: HTTP ${response.status} ${message}`, {
      // The first request of a run is this read: a 404 there means the URL does not lead to MISP's API.
      hint: response.status === 404 && what === 'GET /servers/getVersion' ? 'MISP_URL must be MISP\'s base URL (e.g. https://misp.example.org), without a path after it' : 'see MISP\'s message',
      status: response.status,
    });
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
