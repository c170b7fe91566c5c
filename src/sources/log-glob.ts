// The honeypots' log paths are relative to a T-Pot data directory, and a `*` in a file name matches any run of
// characters (a log per run or per protocol: `conpot/log/conpot_*.json`).
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** `text` matched literally inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A log path pattern's file name (`*`: any run of characters within it) as a regular expression. */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[^/]*')}$`);
}

/**
 * The files under `root` a log path pattern names, relative to `root` and sorted; a pattern without `*` names itself
 * (whether it exists or not), a folder that cannot be read names none.
 */
export function logFilesMatching(root: string, pattern: string): string[] {
  if (!pattern.includes('*')) return [pattern];
  const dir = dirname(pattern);
  const name = globToRegExp(basename(pattern));
  try {
    return readdirSync(join(root, dir)).filter((file) => name.test(file)).sort().map((file) => join(dir, file));
  } catch {
    return [];
  }
}
