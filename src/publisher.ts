// The publishing policy (AUTO_PUBLISH): a daily event is published once its day has ended and it has been
// quiet for PUBLISH_DELAY seconds, and again after later additions (MISP unpublishes an event on change).
// Publishing notifies every MISP that syncs with this one, so it never happens on every flush.
import type { Logger } from 'pino';
import { Tpot2MispError } from './errors.js';
import type { Sink } from './misp/sink.js';
import { honeypotLabel, type Metrics } from './observability/metrics.js';
import type { StateStore } from './state.js';
import { utcDay } from './time.js';

export interface PublishPolicy {
  readonly delaySeconds: number;
}

/**
 * MISP refused this event only (a 4xx about it), not every request: the others
 * are still worth trying. Unreachable, 5xx, 401/403 (key or role) and 429 would fail them all alike.
 */
function concernsOnlyThisEvent(error: unknown): boolean {
  const status = error instanceof Tpot2MispError ? error.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && ![401, 403, 407, 429].includes(status);
}

/**
 * Publishes every due event; returns how many were published. A failure is logged and left for the next
 * pass (the event stays due), so it never costs the delivery that preceded it; one event MISP refuses does not
 * hold back the others (they are listed in the same order every pass).
 */
export async function publishDueEvents(options: { state: StateStore; sink: Sink; policy: PublishPolicy; log: Logger; metrics?: Metrics; now?: number }): Promise<number> {
  const { state, sink, log, metrics } = options;
  if (sink.publish === undefined) return 0;
  const now = options.now ?? Date.now();
  let published = 0;
  for (const event of state.duePublish(sink.id, utcDay(now), now - options.policy.delaySeconds * 1000)) {
    try {
      if ((await sink.publish(event.uuid)) === 'deleted') {
        // Deleted by an analyst: not due any more, nor ever again (the ledger remembers it).
        state.markDeleted(sink.id, event, now);
        log.warn({ event: event.uuid, honeypot: event.honeypot, day: event.day }, 'MISP no longer holds this daily event (an analyst deleted it): it is not published, and nothing more is sent to it.');
        continue;
      }
    } catch (error) {
      log.warn({ err: error, event: event.uuid, honeypot: event.honeypot, day: event.day }, 'Publishing failed; it is retried on the next pass.');
      if (concernsOnlyThisEvent(error)) continue;
      return published;
    }
    state.markPublished(sink.id, event.uuid, now);
    metrics?.eventsPublished.inc({ honeypot: honeypotLabel(event.honeypot) });
    published++;
  }
  if (published > 0) log.info({ published }, 'Published the daily events whose day has ended and that were quiet for PUBLISH_DELAY.');
  return published;
}
