// Name-based (v5) UUIDs: the same indicator in the same event always gets the same UUID, so a re-send updates
// MISP instead of duplicating. uuid's v5 is handed bytes: given strings, it parses the namespace (twice) and
// encodes the name in JavaScript on every call — a third of a large build's time.
import { parse, v5 } from 'uuid';

const namespaces = new Map<string, Uint8Array>();
/** Namespaces are few (the settings' one, event UUIDs) or used in a row (an object's attributes): a small cache. */
const MAX_NAMESPACES = 1024;

function namespaceBytes(namespace: string): Uint8Array {
  let bytes = namespaces.get(namespace);
  if (bytes === undefined) {
    if (namespaces.size >= MAX_NAMESPACES) namespaces.clear();
    bytes = parse(namespace);
    namespaces.set(namespace, bytes);
  }
  return bytes;
}

/**
 * The v5 UUID of `name` (UTF-8) in `namespace`; identical to uuid's `v5(name, namespace)` for well-formed text
 * (indicator values are made well-formed when they are extracted, see indicators.ts).
 */
export function nameUuid(name: string, namespace: string): string {
  return v5(Buffer.from(name, 'utf8'), namespaceBytes(namespace));
}
